using System.Diagnostics;
using System.Globalization;

namespace ThrottleCluster.Benchmarks;

/// <summary>
/// The real silo, src/Silo's Release build, as a process of its own on 127.0.0.1, with the harness's
/// process probe loaded as a startup hook so it reports its own GC pauses and memory. Stopped (by its
/// PID) when disposed.
/// </summary>
public sealed class SiloProcess : IDisposable
{
    private readonly Process _process;
    private readonly string _probeFile;

    private SiloProcess(Process process, string probeFile)
    {
        _process = process;
        _probeFile = probeFile;
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public static SiloProcess Start(string dll, string url, IEnumerable<KeyValuePair<string, string>> configuration)
    {
        var full = Path.GetFullPath(dll);
        var directory = Path.GetDirectoryName(full)!;
        var probe = Path.Combine(AppContext.BaseDirectory, "ThrottleCluster.Benchmarks.ProcessProbe.dll");
        var probeFile = Path.Combine(Path.GetTempPath(), $"throttle-bench-probe-{Guid.NewGuid():N}.tsv");
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = directory };
        foreach (var a in new[] { full, "--contentRoot", directory, "--urls", url }) psi.ArgumentList.Add(a);
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        psi.Environment["DOTNET_STARTUP_HOOKS"] = probe;
        psi.Environment["THROTTLE_BENCH_PROBE_FILE"] = probeFile;
        foreach (var (key, value) in BenchPolicy.AsEnvironment(configuration)) psi.Environment[key] = value;
        var process = Process.Start(psi)!;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine("silo: " + e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine("silo: " + e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        BenchReport.Log($"started the silo: pid {process.Id}, {url}");
        return new SiloProcess(process, probeFile);
    }

    /// <summary>The probe's latest line (at most 100 ms old).</summary>
    public ProbeSample Probe()
    {
        var f = File.ReadAllText(_probeFile).Trim().Split('\t');
        double D(int i) => double.Parse(f[i], CultureInfo.InvariantCulture);
        long L(int i) => long.Parse(f[i], CultureInfo.InvariantCulture);
        return new ProbeSample(D(1), (int)L(2), (int)L(3), (int)L(4), L(5), L(6), L(7), L(8), f[9]);
    }

    public bool ProbeReady => File.Exists(_probeFile);

    /// <summary>CPU seconds the process used so far (user + system, from /proc).</summary>
    public double CpuSeconds() => ProcessCpu.Seconds(_process.Id);

    public void Dispose()
    {
        try
        {
            _process.Kill();
            _process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
        BenchReport.Log($"stopped the silo (pid {_process.Id})");
        _process.Dispose();
        File.Delete(_probeFile);
    }
}
