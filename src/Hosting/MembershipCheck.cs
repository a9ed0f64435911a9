using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ThrottleCluster.Hosting;

/// <summary>A silo is ready when the cluster's membership, as it knows it, has it Active (not joining, not shutting down, not declared dead).</summary>
internal sealed class MembershipCheck(IClusterMembershipService membership, ILocalSiloDetails silo) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = membership.CurrentSnapshot.GetSiloStatus(silo.SiloAddress);
        return Task.FromResult(status == SiloStatus.Active
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy($"{context.Registration.Name}: this silo is {status}, not Active"));
    }
}
