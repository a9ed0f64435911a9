using ThrottleCluster.Grains;
using ThrottleCluster.Grains.Abstractions;

namespace ThrottleCluster.Hosting;

public static class ThrottlePolicies
{
    /// <summary>Binds the <c>Throttle</c> section over the defaults; a bad value stops start-up naming its key.</summary>
    public static ThrottlePolicyStore Read(IConfiguration configuration)
    {
        ThrottlePolicy policy;
        try
        {
            policy = configuration.GetSection(ThrottlePolicyStore.Section).Get<ThrottlePolicy>() ?? new ThrottlePolicy();
        }
        catch (InvalidOperationException ex)
        {
            // The binder names the property; the inner exception says what was wrong with the text.
            throw new InvalidOperationException($"Invalid {ThrottlePolicyStore.Section} configuration: {ex.Message} {ex.InnerException?.Message}", ex);
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
