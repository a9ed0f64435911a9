using Microsoft.Extensions.Configuration;

namespace ThrottleCluster.Runtime.Hosting;

/// <summary>
/// The silos of a cluster as configured: <c>Cluster:Silos</c> (see <see cref="ConfigurationLists"/>)
/// and, on a silo, <c>Cluster:Self</c>, its own entry in that list.
/// </summary>
public static class ClusterMembership
{
    public const string SilosKey = "Cluster:Silos";
    public const string SelfKey = "Cluster:Self";

    /// <summary>Shared secret silos and their clients present on the grain endpoint; unset leaves it open.</summary>
    public const string KeyKey = "Cluster:Key";

    /// <exception cref="InvalidOperationException">An entry is not an http(s) URL; the message names it.</exception>
    public static IReadOnlyList<Uri> Silos(IConfiguration configuration)
        => (ConfigurationLists.Read(configuration, SilosKey) ?? []).Select(e => Parse(SilosKey, e)).ToList();

    /// <summary>This silo's index in <paramref name="silos"/>, or -1 when <c>Cluster:Self</c> is not set.</summary>
    public static int SelfIndex(IConfiguration configuration, IReadOnlyList<Uri> silos)
    {
        if (configuration[SelfKey] is not { Length: > 0 } text) return -1;
        var self = Parse(SelfKey, text);
        var index = silos.ToList().FindIndex(s => Uri.Compare(s, self, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0);
        return index >= 0 ? index : throw new InvalidOperationException($"{SelfKey} must be one of {SilosKey} (was '{text}').");
    }

    private static Uri Parse(string key, string text)
        => Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw new InvalidOperationException($"{key} must hold silo URLs such as http://127.0.0.1:5101 (was '{text}').");
}
