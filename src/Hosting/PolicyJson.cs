using System.Text.Json;
using ThrottleCluster.Grains.Abstractions;

namespace ThrottleCluster.Hosting;

/// <summary>The policy's JSON form: what <c>GET /v1/admin/policy</c> shows, <c>PUT</c> accepts and the policy grain stores.</summary>
public static class PolicyJson
{
    public static string Serialize(ThrottlePolicy policy) => JsonSerializer.Serialize(policy, ProductJson.Options);

    /// <exception cref="JsonException">The text is not a policy.</exception>
    public static ThrottlePolicy Deserialize(string json)
        => JsonSerializer.Deserialize<ThrottlePolicy>(json, ProductJson.Options) ?? throw new JsonException("The policy is null.");
}
