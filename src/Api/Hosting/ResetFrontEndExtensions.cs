using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using ThrottleCluster.Api.Accounts;
using ThrottleCluster.Api.Dashboard;
using ThrottleCluster.Api.Email;
using ThrottleCluster.Api.Endpoints;
using ThrottleCluster.Api.Gate;
using ThrottleCluster.Api.Outbox;
using ThrottleCluster.Api.Tokens;
using ThrottleCluster.Hosting;
using ThrottleCluster.Hosting.Storage;

namespace ThrottleCluster.Api.Hosting;

/// <summary>
/// The reset front-end: accounts, tokens, outbox, email, client addresses and the two endpoints, over
/// the reset gate of this process (<see cref="DecisionApi.AddDecisionApi"/>), whose grains an
/// embedded silo or the Orleans client provides.
/// </summary>
public static class ResetFrontEndExtensions
{
    public static IServiceCollection AddResetFrontEnd(this IServiceCollection services, ClusterSettings cluster)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddRequestLimits();
        services.AddSingleton(cluster);

        services.AddOptions<AccountsOptions>().BindConfiguration(AccountsOptions.Section).ValidateOnStart();
        services.AddOptions<ResetTokenOptions>().BindConfiguration(ResetTokenOptions.Section).ValidateOnStart();
        services.AddOptions<EmailOptions>().BindConfiguration(EmailOptions.Section).ValidateOnStart();
        services.AddOptions<OutboxOptions>().BindConfiguration(OutboxOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AccountsOptions>, AccountsOptionsValidator>();
        services.AddSingleton<IValidateOptions<ResetTokenOptions>, ResetTokenOptionsValidator>();
        services.AddSingleton<IValidateOptions<EmailOptions>, EmailOptionsValidator>();
        services.AddSingleton<IValidateOptions<OutboxOptions>, OutboxOptionsValidator>();

        services.TryAddSingleton(sp => ClientAddressResolver.FromConfiguration(sp.GetRequiredService<IConfiguration>()));

        services.AddSingleton<InProcessResetGate>();
        services.AddSingleton<IResetGate>(sp => ActivatorUtilities.CreateInstance<ObservedResetGate>(sp, sp.GetRequiredService<InProcessResetGate>()));
        if (!cluster.IsEmbedded) services.AddReadinessCheck<ClusterProbe>("cluster");

        services.AddHttpClient(nameof(HttpAccountDirectory));
        services.AddSingleton<IAccountDirectory>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<AccountsOptions>>().Value;
            if (!string.IsNullOrWhiteSpace(options.LookupUrl))
            {
                var http = sp.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(HttpAccountDirectory));
                return new HttpAccountDirectory(http, options.LookupUrl, options.LookupTimeout);
            }
            return new FileAccountDirectory(ResolveAccountsFile(options.File!, sp.GetRequiredService<IHostEnvironment>()),
                sp.GetRequiredService<ILogger<FileAccountDirectory>>());
        });

        services.AddSingleton<ResetTokenService>();
        services.AddSingleton<AccountRedemption>();
        services.AddSingleton<ResetEmailComposer>();
        services.AddSingleton<ResetMessageBuilder>();

        services.AddSingleton<OutboxStatistics>();
        services.TryAddSingleton<GateDecisionMetrics>();
        services.TryAddSingleton<ThrottledTargets>();
        switch (cluster.Provider)
        {
            case ClusterProvider.Redis:
                services.AddRedisEngine(cluster);
                services.AddSingleton<IOutbox>(sp => ActivatorUtilities.CreateInstance<RedisOutbox>(sp));
                services.AddReadinessCheck<RedisEngineProbe>("engine");
                break;
            case ClusterProvider.Localhost:
                services.AddSingleton<IOutbox>(sp => ActivatorUtilities.CreateInstance<MemoryOutbox>(sp));
                break;
            case ClusterProvider.AzureStorage:
                services.AddSingleton(_ => new Azure.Storage.Queues.QueueServiceClient(cluster.AzureStorage));
                services.AddSingleton<IOutbox>(sp => ActivatorUtilities.CreateInstance<AzureQueueOutbox>(sp));
                services.AddReadinessCheck<OutboxProbe>("outbox");
                break;
            default:
                throw new InvalidOperationException($"{ClusterSettings.Section}:Provider={cluster.Provider}: the Api has no outbox for this provider.");
        }
        services.AddSingleton(sp => (IOutboxMonitor)sp.GetRequiredService<IOutbox>());
        services.AddSingleton<IEmailSender>(sp => string.IsNullOrWhiteSpace(sp.GetRequiredService<IOptions<EmailOptions>>().Value.Smtp.Host)
            ? ActivatorUtilities.CreateInstance<PickupDirectoryEmailSender>(sp)
            : ActivatorUtilities.CreateInstance<SmtpEmailSender>(sp));

        services.AddSingleton<ResetEmails>();
        services.AddSingleton<LaterLooks>();
        services.AddHostedService(sp => sp.GetRequiredService<LaterLooks>());

        services.AddHostedService<ResetFrontEndStartup>();
        services.AddHostedService<OutboxDispatcher>();
        return services;
    }

    /// <summary><c>/healthz</c>, <c>/metrics</c>, <c>/dashboard</c>, the password-reset endpoints and the outbox's admin endpoints.</summary>
    public static WebApplication MapResetFrontEnd(this WebApplication app)
    {
        app.Services.GetRequiredService<GlobalStatusMetrics>(); // the breaker and budget on this /metrics too
        app.MapHealth();
        app.MapMetrics();
        app.MapDashboard();
        app.MapPasswordResets();
        app.MapOutboxAdmin();
        app.MapApiDocuments();
        return app;
    }

    /// <summary>A relative path is looked up in the content root, then beside the program (where the sample file is copied).</summary>
    public static string ResolveAccountsFile(string path, IHostEnvironment environment)
    {
        if (Path.IsPathRooted(path)) return path;
        var fromContentRoot = Path.GetFullPath(path, environment.ContentRootPath);
        if (File.Exists(fromContentRoot)) return fromContentRoot;
        var besideProgram = Path.GetFullPath(path, AppContext.BaseDirectory);
        return File.Exists(besideProgram) ? besideProgram : fromContentRoot;
    }
}

/// <summary>
/// Start-up work before the server listens: loads the accounts file, and says where mail goes
/// and what a restart loses.
/// </summary>
internal sealed class ResetFrontEndStartup(IServiceProvider services, ClusterSettings cluster, ILogger<ResetFrontEndStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken ct)
    {
        services.GetRequiredService<ClientAddressResolver>(); // a bad Network:TrustedProxies stops start-up here
        if (services.GetRequiredService<IAccountDirectory>() is IHostedService loader) await loader.StartAsync(ct);
        var sender = services.GetRequiredService<IEmailSender>();
        logger.LogWarning("Reset emails go to {Destination}", sender.Destination);
        if (sender is PickupDirectoryEmailSender pickup) Console.WriteLine($"Reset emails are written as .eml files to {pickup.Directory}");
        if (cluster.IsEmbedded)
            logger.LogWarning("Embedded mode: throttling state, reset tokens and the outbox are in this process's memory and are lost when it stops");
        else
            logger.LogInformation("Cluster mode ({Provider}): an Orleans client of the silos; the outbox is in the cluster's store", cluster.Provider);
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
}
