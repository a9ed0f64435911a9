using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using ThrottleCluster.Runtime.Hosting;
using ThrottleCluster.Silo;

namespace ThrottleCluster.Api.Gate;

/// <summary>
/// Cluster mode: asks every silo for <c>GET /v1/status</c> every <see cref="GlobalStatusMonitor.Interval"/>
/// and keeps the combined answer (<see cref="SiloStatus.Combine"/>) for the dashboard and the
/// global gauges. A round in which no silo answers keeps the last status, whose time shows its age.
/// </summary>
public sealed class SiloStatusPoller(HttpClient http, IReadOnlyList<Uri> silos, string? clusterKey, TimeProvider time, ILogger<SiloStatusPoller> logger)
    : PeriodicRefresh(GlobalStatusMonitor.Interval, time, logger), IGlobalStatus
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    private volatile SiloStatus? _current;

    public SiloStatus? Current => _current;

    protected override string What => "The silos' status";

    public override async Task RefreshAsync(CancellationToken ct)
    {
        var answers = await Task.WhenAll(silos.Select(silo => AskAsync(silo, ct)));
        _current = SiloStatus.Combine(answers.OfType<SiloStatus>().ToList())
                   ?? throw new HttpRequestException($"None of {silos.Count} silos answered {SiloStatusEndpoint.Path}.");
    }

    private async Task<SiloStatus?> AskAsync(Uri silo, CancellationToken ct)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(silo, SiloStatusEndpoint.Path));
            if (!string.IsNullOrEmpty(clusterKey)) request.Headers.Add(GrainEndpoints.ClusterKeyHeader, clusterKey);
            using var response = await http.SendAsync(request, ct);
            if (response.IsSuccessStatusCode) return await response.Content.ReadFromJsonAsync<SiloStatus>(Json, ct);
            Logger.LogDebug("Silo {Silo} gave no status (HTTP {Status})", silo, (int)response.StatusCode);
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException || ex is TaskCanceledException && !ct.IsCancellationRequested)
        {
            Logger.LogDebug("Silo {Silo} gave no status: {Reason}", silo, ex.Message);
        }
        return null;
    }
}
