using ThrottleCluster.Grains.Abstractions;

namespace ThrottleCluster.Grains;

/// <summary>Operator listings as grain state: a mode and the grain second it lapses.</summary>
internal static class Listings
{
    public static ListMode Active(ListMode mode, long until, long t) => t < until ? mode : ListMode.None;

    public static (ListMode Mode, long Until) From(Listing listing, long t)
    {
        if (!Enum.IsDefined(listing.Mode)) throw new ArgumentException($"Listing mode {(int)listing.Mode} is unknown.", nameof(listing));
        // "Forever" listings are capped at the end of grain time rather than rejected.
        var until = listing.Until >= GrainTime.ToTime(uint.MaxValue) ? uint.MaxValue : GrainTime.Seconds(listing.Until);
        return listing.Mode == ListMode.None || until <= t ? (ListMode.None, 0) : (listing.Mode, until);
    }

    public static long Expires(ListMode mode, long until) => mode == ListMode.None ? 0 : until;
}
