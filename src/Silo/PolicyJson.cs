using System.Text.Json;
using System.Text.Json.Serialization;
using ThrottleCluster.Grains.Abstractions;

namespace ThrottleCluster.Silo;

/// <summary>
/// The policy's JSON form: what <c>GET /v1/admin/policy</c> shows, <c>PUT</c> accepts and the policy
/// grain stores. A section sent as null is refused here rather than found null by a grain.
/// </summary>
public static class PolicyJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        RespectNullableAnnotations = true,
    };

    public static string Serialize(ThrottlePolicy policy) => JsonSerializer.Serialize(policy, Options);

    /// <exception cref="JsonException">The text is not a policy.</exception>
    public static ThrottlePolicy Deserialize(string json)
        => JsonSerializer.Deserialize<ThrottlePolicy>(json, Options) ?? throw new JsonException("The policy is null.");
}
