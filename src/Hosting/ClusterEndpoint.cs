namespace ThrottleCluster.Hosting;

/// <summary>One silo as the cluster's membership has it.</summary>
/// <param name="Status">Orleans' <c>SiloStatus</c>: Joining, Active, ShuttingDown, Stopping, Dead.</param>
/// <param name="LastAliveAt">When it last wrote that it was alive (Orleans' IAmAliveTime).</param>
public sealed record ClusterSilo(string Address, string Name, string HostName, string Status, DateTime StartedAt, DateTime LastAliveAt);

/// <summary>Answer of <c>GET /v1/admin/cluster</c>: every silo the membership knows, dead ones included, newest first.</summary>
public sealed record ClusterResponse(int Active, IReadOnlyList<ClusterSilo> Silos);

/// <summary><c>GET /v1/admin/cluster</c>: the cluster's silos and their status, from Orleans' management grain.</summary>
public static class ClusterEndpoint
{
    public const string Path = "/cluster";

    public static RouteGroupBuilder MapCluster(this RouteGroupBuilder admin)
    {
        admin.MapGet(Path, async (IGrainFactory grains, HttpContext http, CancellationToken ct) =>
        {
            try
            {
                var hosts = await grains.GetGrain<IManagementGrain>(0).GetDetailedHosts(onlyActive: false);
                var silos = hosts
                    .OrderByDescending(h => h.StartTime)
                    .Select(h => new ClusterSilo(h.SiloAddress.ToString(), h.SiloName, h.HostName, h.Status.ToString(), h.StartTime, h.IAmAliveTime))
                    .ToList();
                return Results.Ok(new ClusterResponse(hosts.Count(h => h.Status == SiloStatus.Active), silos));
            }
            catch (Exception ex) when (GrainFailures.Undecided(ex, ct))
            {
                return GrainFailures.Unavailable(http, ex, "The cluster's membership could not be read");
            }
        }).Produces<ClusterResponse>().ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return admin;
    }
}
