using System.Text.Json;
using System.Text.Json.Nodes;

namespace ThrottleCluster.Cli;

/// <summary>
/// A JSON document as (path, value) rows: <c>account.perHour 5</c>. Grain state and policy are shown
/// this way so a new field appears without a change here, and a policy row's path is what
/// <c>policy set path=value</c> takes.
/// </summary>
public static class JsonRows
{
    public static IReadOnlyList<(string Path, string Value)> Flatten(JsonNode? node, string prefix = "")
    {
        var rows = new List<(string, string)>();
        Add(node, prefix, rows);
        return rows;
    }

    /// <summary>A scalar as text (strings unquoted); an array of scalars inline.</summary>
    public static string Text(JsonNode? node) => node switch
    {
        null => "null",
        JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
        JsonArray array when array.All(item => item is not (JsonObject or JsonArray)) => "[" + string.Join(", ", array.Select(Text)) + "]",
        _ => node.ToJsonString(),
    };

    private static void Add(JsonNode? node, string path, List<(string, string)> rows)
    {
        switch (node)
        {
            case JsonObject obj when obj.Count > 0:
                foreach (var (name, child) in obj) Add(child, path.Length == 0 ? name : $"{path}.{name}", rows);
                break;
            case JsonArray array when array.Any(item => item is JsonObject or JsonArray):
                for (var i = 0; i < array.Count; i++) Add(array[i], $"{path}[{i}]", rows);
                break;
            default:
                rows.Add((path, Text(node)));
                break;
        }
    }
}
