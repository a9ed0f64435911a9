using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using ThrottleCluster.Grains.Abstractions;
using ThrottleCluster.Runtime;
using ThrottleCluster.Silo;

namespace ThrottleCluster.Api.Gate;

/// <summary>
/// Cluster mode: asks the silos (<c>Cluster:Silos</c>) over HTTP, round robin. A silo that cannot
/// be reached is skipped for the next; a silo that answered an error is not asked again for the
/// same request, since it may have spent quota: the caller then fails closed and sends nothing.
/// </summary>
public sealed class SiloResetGate(HttpClient http, IReadOnlyList<Uri> silos) : IResetGate
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };
    private int _next;

    public async Task<GateDecision> DecideAsync(ResetRequest request, CancellationToken ct)
    {
        var body = new DecisionRequest(request.ClientIp.ToString(), request.Login,
            request.RecipientDomain ?? DecisionEndpoints.DomainOf(request.Login), Guid.NewGuid().ToString("N"));
        var start = (int)((uint)Interlocked.Increment(ref _next) % (uint)silos.Count);
        HttpRequestException? unreachable = null;
        for (var i = 0; i < silos.Count; i++)
        {
            var silo = silos[(start + i) % silos.Count];
            HttpResponseMessage response;
            try
            {
                response = await http.PostAsJsonAsync(new Uri(silo, "/v1/decisions"), body, Json, ct);
            }
            catch (HttpRequestException ex) when (ex.HttpRequestError == HttpRequestError.ConnectionError)
            {
                unreachable = ex; // never reached the silo: nothing was spent, the next one may answer
                continue;
            }
            using (response)
            {
                if (!response.IsSuccessStatusCode)
                    throw new GrainCallException($"Silo {silo} could not decide (HTTP {(int)response.StatusCode}).", mayHaveBeenApplied: response.StatusCode != HttpStatusCode.BadRequest);
                var decision = await response.Content.ReadFromJsonAsync<DecisionResponse>(Json, ct)
                               ?? throw new GrainCallException($"Silo {silo} answered an empty decision.", mayHaveBeenApplied: true);
                return decision.Verdict switch
                {
                    Verdict.Send => GateDecision.Send,
                    Verdict.Suppress => GateDecision.Suppress,
                    _ => GateDecision.RejectSource(TimeSpan.FromSeconds(decision.RetryAfterSeconds)),
                };
            }
        }
        throw new GrainCallException($"No silo of {silos.Count} could be reached: {unreachable?.Message}", mayHaveBeenApplied: false, unreachable);
    }
}
