using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ThrottleCluster.Hosting;

/// <summary>
/// One thing a host needs before it can decide (grain storage, the cluster, the outbox's engine), as
/// an ASP.NET Core health check of the readiness endpoints (<see cref="HealthEndpoints"/>). It is
/// ready when the probe answers within <see cref="Timeout"/>; otherwise the answer says what did not
/// work, and the error itself goes to the log (ASP.NET Core's health check service logs it).
/// </summary>
public abstract class ReadinessCheck : IHealthCheck
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    /// <summary>What an operator is told when the probe fails, after the check's name (<c>could not be read</c>).</summary>
    protected abstract string Failure { get; }

    /// <exception cref="Exception">It cannot be used now.</exception>
    protected abstract Task ProbeAsync(CancellationToken ct);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var name = context.Registration.Name;
        try
        {
            await ProbeAsync(cancellationToken).WaitAsync(Timeout, cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (TimeoutException e)
        {
            return HealthCheckResult.Unhealthy($"{name} did not answer within {Timeout.TotalSeconds:0} s", e);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"{name} {Failure}", e);
        }
    }
}
