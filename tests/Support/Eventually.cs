namespace ThrottleCluster.Tests.Support;

/// <summary>
/// The one way tests wait: for a condition the system reaches on its own schedule (polls, refresh
/// timers, membership), failing after a generous deadline. Never a sleep followed by an assertion.
/// </summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultDeadline = TimeSpan.FromSeconds(60);

    /// <exception cref="TimeoutException">The condition still did not hold at the deadline; the message says what was awaited.</exception>
    public static async Task HoldsAsync(Func<Task<bool>> condition, string what, TimeSpan? within = null)
    {
        var deadline = within ?? DefaultDeadline;
        var started = DateTime.UtcNow;
        while (!await condition())
        {
            if (DateTime.UtcNow - started > deadline) throw new TimeoutException($"Still not true after {deadline}: {what}");
            await Task.Delay(100);
        }
    }

    public static Task HoldsAsync(Func<bool> condition, string what, TimeSpan? within = null)
        => HoldsAsync(() => Task.FromResult(condition()), what, within);
}
