using ThrottleCluster.Runtime.Storage;

namespace ThrottleCluster.Runtime;

/// <summary>What every activation of one runtime shares; <paramref name="Release"/> drops an activation that was not admitted once it is idle.</summary>
internal sealed record RuntimeContext(IGrainStorage Storage, TimeProvider Time, GrainRuntimeOptions Options, GrainRuntimeMetrics Metrics, Action<IActivation> Release);
