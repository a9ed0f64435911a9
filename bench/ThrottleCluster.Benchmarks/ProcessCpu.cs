using System.Globalization;

namespace ThrottleCluster.Benchmarks;

/// <summary>A process's CPU time from /proc/&lt;pid&gt;/stat.</summary>
public static class ProcessCpu
{
    public static double Seconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture)) / 100.0;
    }
}
