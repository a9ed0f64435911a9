using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using ThrottleCluster.Runtime;
using ThrottleCluster.Silo;

namespace ThrottleCluster.Api.Gate;

/// <summary>
/// Cluster mode: asks the silos (<c>Cluster:Silos</c>) over HTTP, first the one that owns the
/// client's network (<see cref="DecisionAffinity"/>). A silo that cannot
/// be reached is skipped for the next; a silo that answered an error is not asked again for the
/// same request, since it may have spent quota: the caller then fails closed and sends nothing.
/// </summary>
public sealed class SiloResetGate(HttpClient http, IReadOnlyList<Uri> silos) : IResetGate
{
    private readonly string[] _siloNames = silos.Select(s => s.ToString()).ToArray();

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    public async Task<GateDecision> DecideAsync(ResetRequest request, CancellationToken ct)
    {
        var body = new DecisionRequest(request.ClientIp.ToString(), request.Login,
            request.RecipientDomain ?? DecisionEndpoints.DomainOf(request.Login), Guid.NewGuid().ToString("N"), request.Look);
        HttpRequestException? unreachable = null;
        foreach (var index in DecisionAffinity.Order(_siloNames, body.ClientIp!))
        {
            var silo = silos[index];
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
                return GateDecision.Of(decision.Verdict, TimeSpan.FromSeconds(decision.RetryAfterSeconds), decision.Denied);
            }
        }
        throw new GrainCallException($"No silo of {silos.Count} could be reached: {unreachable?.Message}", mayHaveBeenApplied: false, unreachable);
    }
}
