using System.Net;
using System.Text.Json;
using ThrottleCluster.Runtime.Hosting;

namespace ThrottleCluster.Runtime.Client;

/// <summary>Turns a silo's problem+json answer back into the exception the silo raised.</summary>
internal static class RemoteProblem
{
    public static GrainCallException Parse(GrainId id, HttpStatusCode status, byte[] payload)
    {
        var detail = $"HTTP {(int)status}";
        var mayHaveBeenApplied = status == HttpStatusCode.ServiceUnavailable;
        try
        {
            using var doc = JsonDocument.Parse(payload);
            if (doc.RootElement.TryGetProperty("detail", out var d) && d.GetString() is { } text) detail = text;
            if (doc.RootElement.TryGetProperty(GrainEndpoints.MayHaveBeenAppliedExtension, out var m) && m.ValueKind is JsonValueKind.True or JsonValueKind.False)
                mayHaveBeenApplied = m.GetBoolean();
        }
        catch (JsonException)
        {
            // Not problem+json (a proxy's error page): keep the status alone.
        }
        return status switch
        {
            HttpStatusCode.NotFound => new UnknownGrainKindException(detail),
            HttpStatusCode.Conflict => new GrainConflictException(id, 0),
            HttpStatusCode.Unauthorized => new GrainCallException($"Grain {id}: the silo refused the cluster key: {detail}", mayHaveBeenApplied: false),
            HttpStatusCode.BadRequest => new GrainCallException($"Grain {id} refused the command: {detail}", mayHaveBeenApplied: false, new ArgumentException(detail)),
            _ => new GrainCallException($"Grain {id}: {detail}", mayHaveBeenApplied),
        };
    }
}
