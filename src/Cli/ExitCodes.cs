namespace ThrottleCluster.Cli;

/// <summary>Exit codes scripts can tell apart.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>The silo answered with a refusal (invalid value, unauthorised, storage unavailable).</summary>
    public const int Refused = 1;
    /// <summary>The command line was wrong; nothing was sent.</summary>
    public const int Usage = 2;
    /// <summary>The silo (or, for attack, the Api) could not be reached or did not answer in time.</summary>
    public const int Unreachable = 3;
}
