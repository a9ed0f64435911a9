using System.Globalization;

namespace ThrottleCluster.Hosting;

/// <summary><c>Throttle:PolicyRefresh</c>: how often each silo reads the live policy.</summary>
public sealed record PolicyRefreshInterval(TimeSpan Value)
{
    public const string Key = "Throttle:PolicyRefresh";

    public static PolicyRefreshInterval FromConfiguration(IConfiguration configuration)
    {
        var text = configuration[Key];
        if (string.IsNullOrWhiteSpace(text)) return new(TimeSpan.FromSeconds(1));
        if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var value) && value >= TimeSpan.FromMilliseconds(100) && value <= TimeSpan.FromMinutes(1))
            return new(value);
        throw new InvalidOperationException($"{Key} must be a time span between 00:00:00.1 and 00:01:00 (was '{text}').");
    }
}
