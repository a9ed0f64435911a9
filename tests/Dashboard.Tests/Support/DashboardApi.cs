using System.Text.Json;

namespace ThrottleCluster.Dashboard.Tests.Support;

/// <summary>
/// The Api from its own Program on real Kestrel (127.0.0.1, an ephemeral port), embedded unless the
/// settings name a cluster, with test accounts, mail to a temporary pickup directory and the given
/// settings on top.
/// </summary>
public sealed class DashboardApi : IAsyncDisposable
{
    public static readonly string[] AccountEmails = ["alice@example.com", "bob@example.com", "carol@example.org", "dave@example.net"];

    private readonly KestrelHost<Program> _host;
    private readonly string _directory;

    private DashboardApi(KestrelHost<Program> host, string directory)
    {
        _host = host;
        _directory = directory;
        Client = host.CreateHttpClient();
    }

    public HttpClient Client { get; }

    public Uri Address => _host.Address;

    public static DashboardApi Start(IReadOnlyDictionary<string, string>? settings = null)
    {
        var directory = Directory.CreateTempSubdirectory("tc-dashboard-").FullName;
        var accounts = Path.Combine(directory, "accounts.json");
        File.WriteAllText(accounts, JsonSerializer.Serialize(AccountEmails.Select((email, i) => new { accountId = $"acct-{i}", email })));
        var values = new Dictionary<string, string>
        {
            ["Logging:LogLevel:Default"] = "Warning",
            ["Accounts:File"] = accounts,
            ["Email:PickupDirectory"] = Path.Combine(directory, "mail"),
            ["Outbox:PollInterval"] = "00:00:00.05",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) values[key] = value;
        try
        {
            return new DashboardApi(KestrelHost<Program>.Start(values), directory);
        }
        catch
        {
            Directory.Delete(directory, recursive: true);
            throw;
        }
    }

    /// <summary>POST /v1/password-resets as if from <paramref name="clientIp"/> (the Api trusts its loopback peer's X-Real-IP).</summary>
    public async Task<int> RequestResetAsync(string login, string clientIp, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/password-resets")
        {
            Content = new StringContent(JsonSerializer.Serialize(new { login }), System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Real-IP", clientIp);
        using var response = await Client.SendAsync(request, ct);
        return (int)response.StatusCode;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _host.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
