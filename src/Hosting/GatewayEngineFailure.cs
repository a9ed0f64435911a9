using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace ThrottleCluster.Hosting;

/// <summary>What <c>/v1/gateway/check</c> answers when no decision can be made (the engine is unreachable or too slow).</summary>
public enum EngineFailureMode
{
    /// <summary>503: nginx refuses the request. The default: an outage of the throttle must not open the flood gates.</summary>
    Closed,

    /// <summary>204: nginx lets the request through unthrottled, for deployments that prefer availability; counted and logged.</summary>
    Open,
}

/// <summary>
/// <c>Gateway:OnEngineFailure</c> (<c>Closed</c>, the default, or <c>Open</c>), one per deployment.
/// It covers only the gateway check, which guards a whole site. Reset decisions
/// (<c>/v1/decisions</c>) always fail closed: an email sent without a persisted decision could
/// exceed every quota, and a password reset can wait for the engine to return.
/// Each failure is counted in <c>tc.gateway.engine_failures</c> by mode, and logged at most once
/// per <see cref="LogInterval"/> so an outage does not flood the log.
/// </summary>
public sealed class GatewayEngineFailure(EngineFailureMode mode, ILogger logger)
{
    public const string Key = "Gateway:OnEngineFailure";
    public const string MeterName = "ThrottleCluster.Gateway";

    private static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(10);
    private static readonly Meter Meter = new(MeterName);
    private static readonly Counter<long> Failures = Meter.CreateCounter<long>("tc.gateway.engine_failures",
        description: "Gateway checks that could not be decided, by what was answered (Gateway:OnEngineFailure).");

    private long _lastLogged = long.MinValue;

    public EngineFailureMode Mode => mode;

    /// <summary>The configured mode; an unknown value stops start-up naming the key and the value.</summary>
    public static EngineFailureMode ModeFrom(IConfiguration configuration)
    {
        var text = configuration[Key];
        if (string.IsNullOrWhiteSpace(text)) return EngineFailureMode.Closed;
        // Names only: Enum.TryParse would also take "1" or "Closed, Open".
        foreach (var name in Enum.GetNames<EngineFailureMode>())
        {
            if (string.Equals(name, text.Trim(), StringComparison.OrdinalIgnoreCase)) return Enum.Parse<EngineFailureMode>(name);
        }
        throw new InvalidOperationException($"{Key} must be {string.Join(" or ", Enum.GetNames<EngineFailureMode>())} (was '{text}').");
    }

    /// <summary>Counts and logs a check that could not be decided; true when the request may pass.</summary>
    public bool LetThrough(Exception failure)
    {
        Failures.Add(1, new KeyValuePair<string, object?>("mode", mode == EngineFailureMode.Open ? "open" : "closed"));
        var now = Stopwatch.GetTimestamp();
        var last = Interlocked.Read(ref _lastLogged);
        if ((last == long.MinValue || Stopwatch.GetElapsedTime(last, now) >= LogInterval) && Interlocked.CompareExchange(ref _lastLogged, now, last) == last)
        {
            logger.LogWarning("Gateway check undecided, answered {Answer} ({Key} = {Mode}): {Reason}",
                mode == EngineFailureMode.Open ? "204, request let through unthrottled" : "503", Key, mode, failure.Message);
        }
        return mode == EngineFailureMode.Open;
    }
}
