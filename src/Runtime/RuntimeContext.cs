using ThrottleCluster.Runtime.Storage;

namespace ThrottleCluster.Runtime;

/// <summary>What every activation of one runtime shares.</summary>
internal sealed record RuntimeContext(IGrainStorage Storage, TimeProvider Time, GrainRuntimeOptions Options, GrainRuntimeMetrics Metrics);
