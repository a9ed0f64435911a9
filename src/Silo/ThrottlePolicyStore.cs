using ThrottleCluster.Grains.Abstractions;

namespace ThrottleCluster.Silo;

/// <summary>
/// The policy grains decide with. Grain types read <see cref="Current"/> at every turn, so a
/// validated replacement takes effect on the next call without reactivating anything.
/// </summary>
public sealed class ThrottlePolicyStore
{
    public const string Section = "Throttle";

    private volatile ThrottlePolicy _current;

    public ThrottlePolicyStore(ThrottlePolicy initial)
    {
        initial.Validate(Section);
        _current = initial;
    }

    public ThrottlePolicy Current => _current;

    /// <exception cref="ArgumentException">The policy is invalid; the current one stays.</exception>
    public void Replace(ThrottlePolicy policy)
    {
        policy.Validate(Section);
        _current = policy;
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
}
