using System.Text.Json;

namespace ThrottleCluster.Runtime;

/// <summary>How commands and results travel between clients and silos, and how receipts keep results.</summary>
public static class GrainJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web);
}
