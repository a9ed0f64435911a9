namespace ThrottleCluster.Dashboard.Tests.Support;

/// <summary>Waits for a condition the system reaches on its own schedule (polls, refresh timers), failing after a generous deadline.</summary>
public static class Eventually
{
    public static async Task HoldsAsync(Func<Task<bool>> condition, string what, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(60));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"Still not true after {within ?? TimeSpan.FromSeconds(60)}: {what}");
            await Task.Delay(100);
        }
    }
}
