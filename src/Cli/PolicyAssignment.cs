using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ThrottleCluster.Cli;

/// <summary>
/// One <c>path=value</c> of <c>policy set</c>, applied to the policy document. The path is the one
/// <c>policy show</c> prints (<c>account.perHour</c>) or the configuration key the silo names in its
/// errors (<c>Throttle:Account:PerHour</c>); the silo validates the value.
/// </summary>
public sealed record PolicyAssignment(string Text, IReadOnlyList<string> Path, string Value)
{
    /// <exception cref="UsageException">Not of the form path=value.</exception>
    public static PolicyAssignment Parse(string text)
    {
        var equals = text.IndexOf('=');
        if (equals <= 0) throw new UsageException($"setting: '{text}' is not of the form path=value (e.g. account.perHour=3)");
        var segments = text[..equals].Trim().Split('.', ':').ToList();
        if (segments.Count > 1 && segments[0].Equals("Throttle", StringComparison.OrdinalIgnoreCase)) segments.RemoveAt(0);
        return new PolicyAssignment(text, segments, text[(equals + 1)..].Trim());
    }

    /// <summary>Sets the value in <paramref name="policy"/>, typed like the value it replaces.</summary>
    /// <exception cref="UsageException">The path names no setting of the policy.</exception>
    public void ApplyTo(JsonObject policy)
    {
        var parent = policy;
        for (var i = 0; i < Path.Count; i++)
        {
            var name = parent.Select(p => p.Key).FirstOrDefault(k => k.Equals(Path[i], StringComparison.OrdinalIgnoreCase))
                       ?? throw new UsageException($"setting: '{Text}': '{string.Join('.', Path.Take(i + 1))}' is not in the policy (there: {string.Join(", ", parent.Select(p => p.Key))})");
            if (i == Path.Count - 1)
            {
                if (parent[name] is JsonObject) throw new UsageException($"setting: '{Text}': '{string.Join('.', Path)}' is a section; set one of its values ({string.Join(", ", ((JsonObject)parent[name]!).Select(p => p.Key))})");
                parent[name] = Typed(parent[name]);
                return;
            }
            parent = parent[name] as JsonObject
                     ?? throw new UsageException($"setting: '{Text}': '{string.Join('.', Path.Take(i + 1))}' is a value, not a section");
        }
    }

    // Numbers stay numbers and durations accept 90s/15m/2h/1d; anything else goes as text and the silo says what is wrong with it.
    private JsonNode Typed(JsonNode? current)
    {
        var kind = current?.GetValueKind();
        // An optional number not set yet (global.burst) shows as null.
        if (kind is JsonValueKind.Number or JsonValueKind.Null or null && JsonNumber(Value) is { } number)
            return number;
        if (kind is JsonValueKind.True or JsonValueKind.False && bool.TryParse(Value, out var flag))
            return JsonValue.Create(flag);
        if (kind == JsonValueKind.String && TimeSpan.TryParse(current!.GetValue<string>(), CultureInfo.InvariantCulture, out _) && Duration.TryParse(Value, out var duration))
            return JsonValue.Create(duration.ToString("c", CultureInfo.InvariantCulture));
        return JsonValue.Create(Value);
    }

    private static JsonNode? JsonNumber(string text)
    {
        try
        {
            return JsonNode.Parse(text) is JsonValue value && value.GetValueKind() == JsonValueKind.Number ? value : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
