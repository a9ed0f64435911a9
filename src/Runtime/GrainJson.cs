using System.Text.Json;

namespace ThrottleCluster.Runtime;

/// <summary>How commands and results travel between clients and silos, and how receipts keep results.</summary>
public static class GrainJson
{
    /// <remarks>
    /// Nullability and required constructor parameters are enforced, so a command missing its
    /// payload (<c>{"$type":"release"}</c>) is refused as bad input before grain logic sees a null.
    /// </remarks>
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
    };
}
