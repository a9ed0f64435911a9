using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ThrottleCluster.Api.Gate;
using ThrottleCluster.Tests.Support;

namespace ThrottleCluster.Api.Tests.Support;

/// <summary>
/// The Api's Program in-process (WebApplicationFactory) with a test gate, a manual clock, demo
/// accounts in a temporary file and mail written to a temporary pickup directory. Embedded by
/// default, so it hosts an Orleans silo: it gets silo and gateway ports of its own, since tests run
/// in parallel. <see cref="Settings"/> override configuration keys before the first request.
/// </summary>
public sealed class ApiFactory : WebApplicationFactory<Program>
{
    public const string AccountsJson = """
        [
          { "accountId": "acct-alice", "email": "alice@example.com" },
          { "accountId": "acct-bob", "email": "Bob@Example.com" },
          { "accountId": "acct/7{x}é", "email": "seven@example.org" }
        ]
        """;

    private readonly string _directory = Directory.CreateTempSubdirectory("tc-api-tests-").FullName;
    private int _handling;

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
        Settings["Cluster:SiloPort"] = LoopbackPort.Free().ToString(System.Globalization.CultureInfo.InvariantCulture);
        Settings["Cluster:GatewayPort"] = LoopbackPort.Free().ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    public Dictionary<string, string?> Settings { get; } = new();

    public TestResetGate Gate { get; } = new();

    /// <summary>Set to false to decide with the Api's own gate (over the embedded silo's grains, or the cluster's).</summary>
    public bool UseTestGate { get; set; } = true;

    public ManualTime Time { get; } = new();

    /// <summary>Set to false to keep the system clock (tests against a real engine's TTLs, or silos on the system clock).</summary>
    public bool UseManualTime { get; set; } = true;

    public string MailDirectory { get; }

    public string TempDirectory => _directory;

    public Action<IServiceCollection>? ExtraServices { get; set; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        // Host settings, not app configuration: Program reads the Cluster section before it builds the host.
        foreach (var (key, value) in Settings) builder.UseSetting(key, value);
        builder.ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        builder.ConfigureTestServices(services =>
        {
            if (UseTestGate) services.AddSingleton<IResetGate>(Gate);
            if (UseManualTime) services.AddSingleton<TimeProvider>(Time);
            services.AddSingleton<IStartupFilter>(new CountHandling(this));
            ExtraServices?.Invoke(services);
        });
    }

    public IReadOnlyList<string> MailFiles()
        => Directory.Exists(MailDirectory) ? Directory.GetFiles(MailDirectory, "*.eml").Order().ToList() : [];

    /// <summary>Waits until at least <paramref name="count"/> .eml files are in the pickup directory.</summary>
    public async Task<IReadOnlyList<string>> WaitForMailAsync(int count, TimeSpan? timeout = null)
    {
        await Eventually.HoldsAsync(() => MailFiles().Count >= count, $"{count} emails in {MailDirectory}", timeout ?? TimeSpan.FromSeconds(20));
        return MailFiles();
    }

    /// <summary>
    /// Waits until every request sent so far has finished its handler. A reset is answered before
    /// its email is queued or its later look scheduled (the answer must not wait on either), so a
    /// response in hand does not mean that work is done; call this before asserting what it did.
    /// </summary>
    public Task WhenRequestsHandledAsync()
        => Eventually.HoldsAsync(() => Volatile.Read(ref _handling) == 0, "every request's handler finished", TimeSpan.FromSeconds(20));

    /// <summary>Counts requests whose handler is still running, around the whole pipeline.</summary>
    private sealed class CountHandling(ApiFactory factory) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (context, inner) =>
            {
                Interlocked.Increment(ref factory._handling);
                try
                {
                    await inner(context);
                }
                finally
                {
                    Interlocked.Decrement(ref factory._handling);
                }
            });
            next(app);
        };
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
