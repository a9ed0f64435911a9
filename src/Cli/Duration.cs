using System.Globalization;

namespace ThrottleCluster.Cli;

/// <summary>Durations as operators type them: a whole number and a unit, 30s, 15m, 2h or 1d.</summary>
public static class Duration
{
    public const string Forms = "use 30s, 15m, 2h, 1d";

    public static bool TryParse(string text, out TimeSpan duration)
    {
        duration = default;
        if (text.Length < 2 || !long.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count <= 0)
            return false;
        var unit = text[^1] switch
        {
            's' => TimeSpan.FromSeconds(1),
            'm' => TimeSpan.FromMinutes(1),
            'h' => TimeSpan.FromHours(1),
            'd' => TimeSpan.FromDays(1),
            _ => TimeSpan.Zero,
        };
        // Far beyond anything the silo accepts, yet small enough that the product cannot overflow.
        if (unit == TimeSpan.Zero || count > 100_000_000) return false;
        duration = unit * count;
        return true;
    }
}
