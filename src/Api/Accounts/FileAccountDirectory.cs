using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;

namespace ThrottleCluster.Api.Accounts;

/// <summary>
/// Accounts from a JSON file (<c>Accounts:File</c>), streamed at start-up and indexed by normalized
/// email (trimmed, lower-case) and by account id. Records with a bad id or email, and later records
/// repeating an id or email, are skipped and counted in the start-up log.
/// </summary>
public sealed class FileAccountDirectory : IAccountDirectory, IHostedService
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly string? _path;
    private readonly ILogger _logger;
    private Index? _index;

    public FileAccountDirectory(string path, ILogger<FileAccountDirectory>? logger = null)
    {
        _path = path;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    private FileAccountDirectory(Index index)
    {
        _index = index;
        _logger = NullLogger.Instance;
    }

    public int Count => _index?.ById.Count ?? 0;

    public LoadReport? LastLoad { get; private set; }

    /// <summary>An already loaded directory, for tests and tools.</summary>
    public static async Task<FileAccountDirectory> LoadAsync(Stream json, CancellationToken ct = default)
    {
        var (index, _) = await BuildAsync(json, "(stream)", NullLogger.Instance, ct);
        return new FileAccountDirectory(index);
    }

    public ValueTask<Account?> FindAsync(string login, CancellationToken ct)
    {
        var index = _index ?? throw new InvalidOperationException("The account file has not been loaded yet.");
        var trimmed = login.Trim();
        // Both lookups, always: the same work whatever the login is.
        index.ByEmail.TryGetValue(AccountRules.NormalizeEmail(trimmed), out var byEmail);
        index.ById.TryGetValue(trimmed, out var byId);
        return ValueTask.FromResult(byEmail ?? byId);
    }

    async Task IHostedService.StartAsync(CancellationToken ct)
    {
        if (_index is not null || _path is null) return;
        if (!File.Exists(_path)) throw new InvalidOperationException($"Accounts:File names a file that does not exist (was '{_path}').");
        await using var stream = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan | FileOptions.Asynchronous);
        var (index, report) = await BuildAsync(stream, _path, _logger, ct);
        _index = index;
        LastLoad = report;
        _logger.LogInformation("Loaded {Count} accounts from {Path} in {Milliseconds} ms ({Skipped} records skipped)",
            report.Loaded, _path, (long)report.Elapsed.TotalMilliseconds, report.Skipped);
    }

    Task IHostedService.StopAsync(CancellationToken ct) => Task.CompletedTask;

    private static async Task<(Index, LoadReport)> BuildAsync(Stream json, string source, ILogger logger, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        var byId = new Dictionary<string, Account>(StringComparer.Ordinal);
        var byEmail = new Dictionary<string, Account>(StringComparer.Ordinal);
        var skipped = 0;
        var number = 0;
        void Add(AccountRecord? item)
        {
            number++;
            var problem = item is null ? "the record is null" : AccountRules.CheckAccountId(item.AccountId) ?? AccountRules.CheckEmail(item.Email?.Trim());
            string? email = null;
            if (problem is null)
            {
                email = AccountRules.NormalizeEmail(item!.Email!);
                if (byId.ContainsKey(item.AccountId!)) problem = "its account id repeats an earlier record's";
                else if (byEmail.ContainsKey(email)) problem = "its email repeats an earlier record's";
            }
            if (problem is not null)
            {
                if (++skipped <= 5) logger.LogWarning("Accounts file {Path}: record {Record} skipped: {Problem}", source, number, problem);
                return;
            }
            var account = new Account(item!.AccountId!, item.Email!.Trim());
            byId.Add(account.AccountId, account);
            byEmail.Add(email!, account);
        }

        try
        {
            await AccountStreamReader.ReadAsync(json, Add, ct);
        }
        catch (JsonException ex)
        {
            throw new InvalidOperationException($"Accounts:File '{source}' is not a JSON array of {{\"accountId\", \"email\"}} objects: {ex.Message}", ex);
        }
        return (new Index(byId, byEmail), new LoadReport(byId.Count, skipped, watch.Elapsed));
    }

    public sealed record LoadReport(int Loaded, int Skipped, TimeSpan Elapsed);

    private sealed record Index(Dictionary<string, Account> ById, Dictionary<string, Account> ByEmail);

    internal sealed class AccountRecord
    {
        public string? AccountId { get; set; }
        public string? Email { get; set; }
    }
}
