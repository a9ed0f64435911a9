using ThrottleCluster.Grains.Abstractions;

namespace ThrottleCluster.Silo;

/// <summary>
/// The policy grains decide with. Grain types read <see cref="Current"/> at every turn, so a
/// validated replacement takes effect on the next call without reactivating anything.
/// </summary>
public sealed class ThrottlePolicyStore
{
    public const string Section = "Throttle";

    private readonly Lock _replacing = new();
    private volatile Versioned _current;

    public ThrottlePolicyStore(ThrottlePolicy initial)
    {
        initial.Validate(Section);
        _current = new Versioned(initial, 0);
    }

    public ThrottlePolicy Current => _current.Policy;

    /// <summary>The stored live-policy version in force; 0 while the configured policy is.</summary>
    public long Version => _current.Version;

    /// <summary>Applies a stored policy unless this silo already runs that version or a later one.</summary>
    /// <returns>Whether the policy was applied.</returns>
    /// <exception cref="ArgumentException">The policy is invalid; the current one stays.</exception>
    public bool Replace(ThrottlePolicy policy, long version)
    {
        policy.Validate(Section);
        // A PUT and the background refresh may apply the same version at once: only one may win.
        lock (_replacing)
        {
            if (version <= _current.Version) return false;
            _current = new Versioned(policy, version);
            return true;
        }
    }

    /// <summary>Binds the <c>Throttle</c> section over the defaults; a bad value names its key.</summary>
    public static ThrottlePolicyStore FromConfiguration(IConfiguration configuration)
    {
        ThrottlePolicy policy;
        try
        {
            policy = configuration.GetSection(Section).Get<ThrottlePolicy>() ?? new ThrottlePolicy();
        }
        catch (InvalidOperationException ex)
        {
            // The binder names the property; the inner exception says what was wrong with the text.
            throw new InvalidOperationException($"Invalid {Section} configuration: {ex.Message} {ex.InnerException?.Message}", ex);
        }
        try
        {
            return new ThrottlePolicyStore(policy);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidOperationException(ex.Message, ex);
        }
    }

    private sealed record Versioned(ThrottlePolicy Policy, long Version);
}
