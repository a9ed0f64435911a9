using System.Globalization;
using System.Runtime.InteropServices;

namespace ThrottleCluster.Silo.Tests.Support;

/// <summary>
/// Stops and continues a process by its id: an engine that stops answering while its connections
/// stay open, which is what a hung or partitioned engine looks like to its clients.
/// </summary>
public static class ProcessSignals
{
    private const int SigStop = 19;
    private const int SigCont = 18;

    public static void Stop(int pid) => Send(pid, SigStop);

    public static void Continue(int pid) => Send(pid, SigCont);

    /// <summary>The engine an <c>EngineProcess</c> watchdog shell (<paramref name="watchdog"/>) runs: its child that is not its <c>sleep</c>.</summary>
    public static int EngineUnder(int watchdog)
    {
        var children = File.ReadAllText($"/proc/{watchdog}/task/{watchdog}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(child => int.Parse(child, CultureInfo.InvariantCulture));
        return Assert.Single(children, child => Command(child) is { } command && command != "sleep");
    }

    /// <summary>The process's command name, or null once it has exited.</summary>
    private static string? Command(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").Trim();
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static void Send(int pid, int signal)
    {
        if (kill(pid, signal) != 0) throw new InvalidOperationException($"Signal {signal} to process {pid} failed: errno {Marshal.GetLastPInvokeError()}.");
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);
}
