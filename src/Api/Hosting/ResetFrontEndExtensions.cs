using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using ThrottleCluster.Api.Accounts;
using ThrottleCluster.Api.Dashboard;
using ThrottleCluster.Api.Email;
using ThrottleCluster.Api.Endpoints;
using ThrottleCluster.Api.Gate;
using ThrottleCluster.Api.Outbox;
using ThrottleCluster.Api.Tokens;
using ThrottleCluster.Runtime;
using ThrottleCluster.Runtime.Hosting;
using ThrottleCluster.Runtime.Storage;
using ThrottleCluster.Silo;

namespace ThrottleCluster.Api.Hosting;

/// <summary>
/// The reset front-end: accounts, tokens, outbox, email, client addresses and the two endpoints.
/// The gate (<see cref="IResetGate"/>) is not registered here: <c>AddResetGate</c> does that.
/// Every choice that depends on configuration is made when services are first resolved, after all
/// configuration sources (including a test host's) are in.
/// </summary>
public static class ResetFrontEndExtensions
{
    public static IServiceCollection AddResetFrontEnd(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddRequestLimits();

        services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.Section).ValidateOnStart();
        services.AddOptions<AccountsOptions>().BindConfiguration(AccountsOptions.Section).ValidateOnStart();
        services.AddOptions<ResetTokenOptions>().BindConfiguration(ResetTokenOptions.Section).ValidateOnStart();
        services.AddOptions<EmailOptions>().BindConfiguration(EmailOptions.Section).ValidateOnStart();
        services.AddOptions<OutboxOptions>().BindConfiguration(OutboxOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<StorageOptions>, StorageOptionsValidator>();
        services.AddSingleton<IValidateOptions<AccountsOptions>, AccountsOptionsValidator>();
        services.AddSingleton<IValidateOptions<ResetTokenOptions>, ResetTokenOptionsValidator>();
        services.AddSingleton<IValidateOptions<EmailOptions>, EmailOptionsValidator>();
        services.AddSingleton<IValidateOptions<OutboxOptions>, OutboxOptionsValidator>();

        services.TryAddSingleton(sp => ClientAddressResolver.FromConfiguration(sp.GetRequiredService<IConfiguration>()));

        // One engine connection for the outbox and the token grains; an embedded silo registered
        // first shares its storage and serves the token grains from its own runtime.
        services.AddGrainStorage();
        services.TryAddSingleton<IGrainClient>(sp => new GrainRuntime(
            new GrainCatalog().Add(ResetTokenGrainType.Type), sp.GetRequiredService<IGrainStorage>(), time: sp.GetRequiredService<TimeProvider>()));

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

        services.TryAddSingleton(_ => new PrometheusMetrics());
        services.AddSingleton<ResetTokenService>();
        services.TryAddSingleton(sp => ActivatorUtilities.CreateInstance<AccountRedemption>(sp, sp.GetRequiredService<IGrainClient>()));
        services.AddSingleton<ResetEmailComposer>();

        services.AddSingleton<OutboxStatistics>();
        services.TryAddSingleton<GateDecisionMetrics>();
        services.TryAddSingleton<ThrottledTargets>();
        services.AddOtlpMetricExport();
        services.AddSingleton<IOutbox>(sp => sp.GetRequiredService<IOptions<StorageOptions>>().Value.IsClusterMode
            ? ActivatorUtilities.CreateInstance<RedisOutbox>(sp)
            : ActivatorUtilities.CreateInstance<MemoryOutbox>(sp));
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

    /// <summary>Exception handler, <c>/healthz</c> (grain storage reachable), <c>/metrics</c>, <c>/dashboard</c> and the password-reset endpoints.</summary>
    public static WebApplication MapResetFrontEnd(this WebApplication app)
    {
        // Checked here, before the hosted services (which need a gate) are made.
        if (app.Services.GetService<IResetGate>() is null)
            throw new InvalidOperationException($"No {nameof(IResetGate)} is registered: call AddResetGate (in-process grains or the silos) before building the Api.");
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            ExceptionHandler = HandleExceptionAsync,
            SuppressDiagnosticsCallback = _ => false,
        });
        app.UseRequestLimits();
        app.Services.GetRequiredService<PrometheusMetrics>(); // listen before the first request
        app.MapStorageHealth();
        app.MapPrometheusMetrics();
        app.MapDashboard();
        app.MapPasswordResets();
        return app;
    }

    /// <summary>
    /// Last line of defence: whatever escaped becomes problem+json. Input never gets here (the
    /// endpoints reject it first); what does is an engine, directory or gate that cannot answer.
    /// </summary>
    private static Task HandleExceptionAsync(HttpContext context)
    {
        var error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
        if (context.RequestAborted.IsCancellationRequested) return Task.CompletedTask;
        var problem = error switch
        {
            BadHttpRequestException => Problems.InvalidRequest,
            AccountDirectoryException or GrainCallException or RedisException or TimeoutException or OperationCanceledException or HttpRequestException
                => Problems.Unavailable,
            _ => Problems.Internal,
        };
        if (problem.Status == StatusCodes.Status503ServiceUnavailable) context.Response.Headers.RetryAfter = "5";
        return Problems.WriteAsync(context, problem);
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
internal sealed class ResetFrontEndStartup(IServiceProvider services, IOptions<StorageOptions> storage, ILogger<ResetFrontEndStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken ct)
    {
        services.GetRequiredService<ClientAddressResolver>(); // a bad Network:TrustedProxies stops start-up here
        if (services.GetRequiredService<IAccountDirectory>() is IHostedService loader) await loader.StartAsync(ct);
        var sender = services.GetRequiredService<IEmailSender>();
        logger.LogWarning("Reset emails go to {Destination}", sender.Destination);
        if (sender is PickupDirectoryEmailSender pickup) Console.WriteLine($"Reset emails are written as .eml files to {pickup.Directory}");
        if (storage.Value.IsClusterMode)
            logger.LogInformation("Cluster mode: reset tokens and the outbox are in {Engine}", RedactedEndpoints(storage.Value.Redis!));
        else
            logger.LogWarning("Embedded mode: reset tokens and the outbox are in this process's memory and are lost when it stops");
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;

    private static string RedactedEndpoints(string connection)
        => string.Join(",", ConfigurationOptions.Parse(connection).EndPoints.Select(e => e.ToString()));
}
