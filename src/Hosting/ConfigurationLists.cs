using Microsoft.Extensions.Configuration;

namespace ThrottleCluster.Hosting;

/// <summary>
/// List settings as operators write them: entries (<c>Key__0=a</c>, <c>Key__1=b</c>) or one
/// comma-separated value (<c>Key=a,b</c>), which is what an environment variable can hold.
/// </summary>
public static class ConfigurationLists
{
    /// <returns>The entries; empty for an empty value; null when the key is not set at all.</returns>
    public static IReadOnlyList<string>? Read(IConfiguration configuration, string key)
    {
        var section = configuration.GetSection(key);
        if (section.Value is { } single) return single.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var children = section.GetChildren().Select(c => c.Value ?? "").ToArray();
        return children.Length > 0 ? children : null;
    }
}
