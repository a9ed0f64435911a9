using System.Globalization;
using System.Runtime;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ThrottleCluster.Benchmarks;

/// <summary>What every verb's JSON starts with and how it is written: progress on stderr, the report on stdout and under bench/results/.</summary>
public static class BenchReport
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static JsonObject Start(string verb) => new()
    {
        ["verb"] = verb,
        ["runtime_under_test"] = "Microsoft Orleans 10.4.2",
        ["started_utc"] = Now(),
        ["processors"] = Environment.ProcessorCount,
        ["runtime"] = System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription,
        ["harness_gc"] = GCSettings.IsServerGC ? "server" : "workstation",
        ["load_average_before"] = LoadAverage(),
    };

    /// <summary>Finishes <paramref name="report"/>, prints it and writes it to <paramref name="path"/>, or to bench/results/{name}-{date}.json.</summary>
    public static async Task WriteAsync(JsonObject report, string name, string? path)
    {
        report["load_average_after"] = LoadAverage();
        report["finished_utc"] = Now();
        var json = report.ToJsonString(Indented);
        Console.WriteLine(json);
        path ??= Path.Combine("bench", "results", $"{name}-{DateTime.UtcNow:yyyy-MM-dd'T'HHmm'Z'}.json");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await File.WriteAllTextAsync(path, json + "\n");
        Log($"wrote {path}");
    }

    public static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "";

    public static void Log(string message) => Console.Error.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {message}");

    public static double Round(double value, int digits = 3) => Math.Round(value, digits);

    private static string Now() => DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture);
}
