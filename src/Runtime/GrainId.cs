namespace ThrottleCluster.Runtime;

/// <summary>
/// The identity of a grain: its kind and a key already normalized by the caller.
/// The runtime only guarantees the pair is safe to use as a storage key.
/// </summary>
public readonly record struct GrainId
{
    public const int MaxKeyLength = 512;

    public GrainId(string kind, string key)
    {
        Kind = ValidatePart(kind, nameof(kind), 64);
        Key = ValidatePart(key, nameof(key), MaxKeyLength);
        if (Kind.Contains('/')) throw new ArgumentException($"Grain kind '{kind}' must not contain '/'.", nameof(kind));
    }

    public string Kind { get; }
    public string Key { get; }

    public override string ToString() => $"{Kind}/{Key}";

    private static string ValidatePart(string value, string name, int maxLength)
    {
        if (string.IsNullOrEmpty(value)) throw new ArgumentException($"Grain {name} must not be empty.", name);
        if (value.Length > maxLength) throw new ArgumentException($"Grain {name} is {value.Length} characters long; at most {maxLength} are allowed.", name);
        foreach (var c in value)
        {
            // Braces are Redis cluster hash-tag delimiters; control characters and spaces have no place in a key.
            if (char.IsControl(c) || char.IsWhiteSpace(c) || c is '{' or '}')
                throw new ArgumentException($"Grain {name} '{value}' contains a forbidden character (U+{(int)c:X4}).", name);
        }
        return value;
    }
}
