using System.Text.Json;
using System.Text.Json.Serialization;

namespace ThrottleCluster.Grains.Abstractions;

/// <summary>
/// The one JSON form of the product's types: HTTP bodies, the stored live policy, grain state shown
/// to operators. Enums by name; a member sent as null where none is allowed is refused here rather
/// than found null later.
/// </summary>
public static class ProductJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        RespectNullableAnnotations = true,
    };
}
