using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Serialization;
using Microsoft.Extensions.DependencyInjection.Extensions;
using ThrottleCluster.Grains;
using ThrottleCluster.Grains.Abstractions;

namespace ThrottleCluster.Hosting;

/// <summary>
/// The HTTP decision API for gateways, beside an Orleans silo or client in the same process: one call
/// on the builder, one on the app.
/// </summary>
public static class DecisionApi
{
    public const string AccountHashSecretKey = "Throttle:AccountHashSecret";

    /// <summary>
    /// The services behind the decision API, wherever decisions are made (a silo, or an Api that is an
    /// Orleans client): the gate over this process's <see cref="IGrainFactory"/>, its metrics and audit
    /// trail, the live policy and the global breaker's status.
    /// </summary>
    public static IServiceCollection AddDecisionApi(this IServiceCollection services, IConfiguration configuration, ClusterSettings settings, ThrottlePolicyStore policies)
    {
        var secret = AccountHashSecret(configuration, settings);
        var policyRefresh = PolicyRefreshInterval.FromConfiguration(configuration);
        var auditCapacity = configuration.GetValue(AuditTrail.CapacityKey, AuditTrail.DefaultCapacity);
        services.AddRequestLimits();
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(policies);
        var keys = new GrainKeys(secret);
        services.AddSingleton(keys);
        services.AddSingleton<ResetGate>();
        services.AddSingleton(sp => new AuditTrail(keys, auditCapacity, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IResetGate, RecordedResetGate>();
        services.AddSingleton(policyRefresh);
        services.AddSingleton<LivePolicy>();
        services.AddHostedService<LivePolicyRefresh>();
        services.AddSingleton<DecisionMetrics>();
        services.AddSingleton<GlobalStatusMonitor>();
        services.AddSingleton<IGlobalStatus>(sp => sp.GetRequiredService<GlobalStatusMonitor>());
        services.AddHostedService(sp => sp.GetRequiredService<GlobalStatusMonitor>());
        services.AddSingleton<GlobalStatusMetrics>();
        services.AddHostTelemetry(configuration);
        services.AddHealthChecks();
        services.TryAddSingleton(_ => ClientAddressResolver.FromConfiguration(configuration));
        return services;
    }

    /// <summary>
    /// The decision API's endpoints: decisions, the gateway check, admin and status. Hosts put
    /// <see cref="HttpPipeline.UseThrottleHttp"/> before them, and map health and metrics themselves.
    /// </summary>
    public static WebApplication MapDecisionApi(this WebApplication app)
    {
        app.Services.GetRequiredService<GlobalStatusMetrics>();
        app.Services.GetRequiredService<ClientAddressResolver>(); // a bad Network:TrustedProxies stops start-up here
        app.MapDecisions();
        app.MapGatewayCheck();
        app.MapAdmin();
        app.MapServiceStatus();
        app.MapThrottleDashboard();
        return app;
    }

    /// <summary>
    /// Keys the distinct-account sketches and the audit trail's hashed keys. Every host that decides
    /// must use the same one; a process of its own (embedded mode) may pick one at random.
    /// </summary>
    private static ulong AccountHashSecret(IConfiguration configuration, ClusterSettings settings)
    {
        var text = configuration[AccountHashSecretKey];
        if (string.IsNullOrWhiteSpace(text))
        {
            if (!settings.IsEmbedded)
                throw new InvalidOperationException($"{AccountHashSecretKey} must be set in a cluster, the same on every silo and Api (a 64-bit number, e.g. 0x{RandomNumberGenerator.GetHexString(16).ToLowerInvariant()}).");
            return BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8));
        }
        var hex = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
        if (ulong.TryParse(hex ? text[2..] : text, hex ? NumberStyles.AllowHexSpecifier : NumberStyles.None, CultureInfo.InvariantCulture, out var secret) && secret != 0)
            return secret;
        throw new InvalidOperationException($"{AccountHashSecretKey} must be a non-zero 64-bit number, decimal or 0x-hex (was '{text}').");
    }
}
