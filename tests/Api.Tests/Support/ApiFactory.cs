using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ThrottleCluster.Api.Gate;
using ThrottleCluster.Silo;

namespace ThrottleCluster.Api.Tests.Support;

/// <summary>
/// The Api in-process (WebApplicationFactory) with a test gate, a manual clock, demo accounts in a
/// temporary file and mail written to a temporary pickup directory. <see cref="Settings"/> override
/// configuration keys before the first request.
/// </summary>
// The type argument only names the Api's assembly (Silo, referenced, has a Program too).
public sealed class ApiFactory : WebApplicationFactory<InProcessResetGate>
{
    public const string AccountsJson = """
        [
          { "accountId": "acct-alice", "email": "alice@example.com" },
          { "accountId": "acct-bob", "email": "Bob@Example.com" },
          { "accountId": "acct/7{x}é", "email": "seven@example.org" }
        ]
        """;

    private readonly string _directory = Directory.CreateTempSubdirectory("tc-api-tests-").FullName;

    public ApiFactory()
    {
        MailDirectory = Path.Combine(_directory, "mail");
        var accounts = Path.Combine(_directory, "accounts.json");
        File.WriteAllText(accounts, AccountsJson);
        Settings["Accounts:File"] = accounts;
        Settings["Email:PickupDirectory"] = MailDirectory;
        Settings["Email:ResetUrlTemplate"] = "https://app.example.com/reset?token={token}";
        Settings["Email:Smtp:From"] = "Example <no-reply@example.com>";
        Settings["Outbox:RetryDelay"] = "00:00:00.05";
        Settings["Outbox:PollInterval"] = "00:00:00.02";
    }

    public Dictionary<string, string?> Settings { get; } = new();

    public TestResetGate Gate { get; } = new();

    public ManualTime Time { get; } = new();

    /// <summary>Set to false to keep the system clock (tests against a real engine's TTLs).</summary>
    public bool UseManualTime { get; set; } = true;

    public string MailDirectory { get; }

    public string TempDirectory => _directory;

    public Action<IServiceCollection>? ExtraServices { get; set; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        builder.ConfigureAppConfiguration(config => config.AddInMemoryCollection(Settings));
        builder.ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<IResetGate>(Gate);
            if (UseManualTime) services.AddSingleton<TimeProvider>(Time);
            ExtraServices?.Invoke(services);
        });
    }

    public IReadOnlyList<string> MailFiles()
        => Directory.Exists(MailDirectory) ? Directory.GetFiles(MailDirectory, "*.eml").Order().ToList() : [];

    /// <summary>Waits until at least <paramref name="count"/> .eml files are in the pickup directory.</summary>
    public async Task<IReadOnlyList<string>> WaitForMailAsync(int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            var files = MailFiles();
            if (files.Count >= count) return files;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Expected {count} emails in {MailDirectory}, found {files.Count}.");
            await Task.Delay(20);
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
