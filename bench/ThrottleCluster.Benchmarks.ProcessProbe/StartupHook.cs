using System.Diagnostics;
using System.Globalization;
using System.Runtime;

/// <summary>
/// Writes this process's GC and memory figures to the file named by <see cref="FileVariable"/> every
/// <see cref="Interval"/>, replacing it whole (write, then rename) so a reader never sees half a line.
/// The runtime finds a startup hook by this exact type name, outside any namespace.
/// </summary>
internal static class StartupHook
{
    public const string FileVariable = "THROTTLE_BENCH_PROBE_FILE";
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    public static void Initialize()
    {
        if (Environment.GetEnvironmentVariable(FileVariable) is not { Length: > 0 } path) return;
        var thread = new Thread(() => Report(path)) { IsBackground = true, Name = "bench process probe" };
        thread.Start();
    }

    private static void Report(string path)
    {
        var temporary = path + ".tmp";
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var info = GC.GetGCMemoryInfo();
            var line = string.Join('\t',
                clock.Elapsed.TotalSeconds.ToString("F3", CultureInfo.InvariantCulture),
                GC.GetTotalPauseDuration().TotalMilliseconds.ToString("F3", CultureInfo.InvariantCulture),
                GC.CollectionCount(0).ToString(CultureInfo.InvariantCulture),
                GC.CollectionCount(1).ToString(CultureInfo.InvariantCulture),
                GC.CollectionCount(2).ToString(CultureInfo.InvariantCulture),
                GC.GetTotalAllocatedBytes(false).ToString(CultureInfo.InvariantCulture),
                GC.GetTotalMemory(false).ToString(CultureInfo.InvariantCulture),
                info.HeapSizeBytes.ToString(CultureInfo.InvariantCulture),
                Environment.WorkingSet.ToString(CultureInfo.InvariantCulture),
                GCSettings.IsServerGC ? "server" : "workstation");
            File.WriteAllText(temporary, line + "\n");
            File.Move(temporary, path, overwrite: true);
            Thread.Sleep(Interval);
        }
    }
}
