using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Serialization;
using Microsoft.Extensions.DependencyInjection.Extensions;
using ThrottleCluster.Grains;
using ThrottleCluster.Grains.Abstractions;
using ThrottleCluster.Runtime;
using ThrottleCluster.Runtime.Client;
using ThrottleCluster.Runtime.Hosting;
using ThrottleCluster.Runtime.Storage;

namespace ThrottleCluster.Silo;

/// <summary>Everything a throttling silo is, as two calls: one on the builder, one on the app.</summary>
public static class SiloHosting
{
    public const string AccountHashSecretKey = "Throttle:AccountHashSecret";
    public const string RoutedKindsKey = "Cluster:RoutedKinds";

    public static WebApplicationBuilder AddThrottleSilo(this WebApplicationBuilder builder, Action<GrainCatalog>? moreGrains = null)
    {
        var configuration = builder.Configuration;
        var services = builder.Services;
        var policies = ThrottlePolicyStore.FromConfiguration(configuration);
        var runtimeOptions = configuration.GetSection("Runtime").Get<GrainRuntimeOptions>() ?? new GrainRuntimeOptions();
        try
        {
            runtimeOptions.Validate();
        }
        catch (ArgumentException ex)
        {
            throw new InvalidOperationException(ex.Message, ex);
        }
        var secret = AccountHashSecret(configuration);
        var policyRefresh = PolicyRefreshInterval.FromConfiguration(configuration);
        var auditCapacity = configuration.GetValue(AuditTrail.CapacityKey, AuditTrail.DefaultCapacity);

        services.AddProblemDetails();
        services.AddRequestLimits();
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(policies);
        services.AddGrainStorage();
        services.AddGrainRuntime(catalog =>
        {
            catalog.AddThrottleGrains(policies);
            catalog.Add(PolicyGrain.Type);
            moreGrains?.Invoke(catalog);
        }, sp => sp.GetRequiredService<IGrainStorage>(), runtimeOptions);
        AddHotGrainRouting(services, configuration);
        services.AddSingleton<IGrainCalls, RuntimeGrainCalls>();
        services.AddSingleton(sp => new ResetGate(sp.GetRequiredService<IGrainCalls>(), secret));
        services.AddSingleton(sp => new AuditTrail(new AuditKeyHasher(secret), auditCapacity, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IResetGate, RecordedResetGate>();
        services.AddSingleton(policyRefresh);
        services.AddSingleton<LivePolicy>();
        services.AddHostedService<LivePolicyRefresh>();
        services.AddSingleton<DecisionMetrics>();
        services.AddSingleton<GlobalStatusMonitor>();
        services.AddSingleton<IGlobalStatus>(sp => sp.GetRequiredService<GlobalStatusMonitor>());
        services.AddHostedService(sp => sp.GetRequiredService<GlobalStatusMonitor>());
        services.AddSingleton<GlobalStatusMetrics>();
        services.AddOtlpMetricExport();
        services.TryAddSingleton(_ => new PrometheusMetrics());
        services.TryAddSingleton(_ => ClientAddressResolver.FromConfiguration(configuration));
        return builder;
    }

    public static WebApplication MapThrottleSilo(this WebApplication app)
    {
        app.MapSiloEndpoints();
        app.MapStorageHealth();
        app.MapPrometheusMetrics();
        return app;
    }

    /// <summary>The silo's own endpoints, for a host (the embedded Api) that serves health and metrics itself.</summary>
    public static WebApplication MapSiloEndpoints(this WebApplication app)
    {
        // Listen from the start: measurements made before the first scrape would be lost.
        app.Services.GetRequiredService<PrometheusMetrics>();
        app.Services.GetRequiredService<GlobalStatusMetrics>();
        app.Services.GetRequiredService<ClientAddressResolver>(); // a bad Network:TrustedProxies stops start-up here
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseRequestLimits();
        app.Use(RequestCharset.GuardAsync);
        app.MapGrains();
        app.MapDecisions();
        app.MapGatewayCheck();
        app.MapAdmin();
        app.MapSiloStatus();
        return app;
    }

    /// <summary>
    /// In a cluster (<c>Cluster:Silos</c> and <c>Cluster:Self</c> set), calls for the hot kinds
    /// (<c>Cluster:RoutedKinds</c>, default global and domain) go to the silo that owns the grain.
    /// They carry no receipts: a call retried after a lost answer may spend twice, which only
    /// errs towards sending less.
    /// </summary>
    private static void AddHotGrainRouting(IServiceCollection services, IConfiguration configuration)
    {
        var silos = ClusterMembership.Silos(configuration);
        var self = ClusterMembership.SelfIndex(configuration, silos);
        if (silos.Count < 2 || self < 0) return;
        var routed = ConfigurationLists.Read(configuration, RoutedKindsKey) is { Count: > 0 } kinds
            ? kinds.ToHashSet(StringComparer.Ordinal)
            : new HashSet<string>(StringComparer.Ordinal) { GrainKinds.Global, GrainKinds.Domain };
        services.AddSingleton(_ => new ClusterClient(silos, new ClusterClientOptions { KeyAffinity = true, Receipts = false, ClusterKey = configuration[ClusterMembership.KeyKey] }));
        services.AddSingleton<IGrainClient>(sp => new RoutingGrainClient(sp.GetRequiredService<GrainRuntime>(), sp.GetRequiredService<ClusterClient>(), self, routed));
    }

    /// <summary>
    /// Keys the distinct-account sketches and the audit trail's hashed keys. Every silo must use the
    /// same one; a process of its own (embedded mode) may pick one at random.
    /// </summary>
    private static ulong AccountHashSecret(IConfiguration configuration)
    {
        var text = configuration[AccountHashSecretKey];
        if (string.IsNullOrWhiteSpace(text))
        {
            if (GrainStorageConfiguration.IsClusterMode(configuration))
                throw new InvalidOperationException($"{AccountHashSecretKey} must be set in cluster mode, the same on every silo (a 64-bit number, e.g. 0x{RandomNumberGenerator.GetHexString(16).ToLowerInvariant()}).");
            return BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8));
        }
        var hex = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
        if (ulong.TryParse(hex ? text[2..] : text, hex ? NumberStyles.AllowHexSpecifier : NumberStyles.None, CultureInfo.InvariantCulture, out var secret) && secret != 0)
            return secret;
        throw new InvalidOperationException($"{AccountHashSecretKey} must be a non-zero 64-bit number, decimal or 0x-hex (was '{text}').");
    }
}
