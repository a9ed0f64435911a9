using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;

namespace ThrottleCluster.Grains.Storage;

/// <summary>
/// A grain's <c>[PersistentState]</c> on the product's silos: its state handed straight to the grain
/// storage provider. Orleans' own bridge queues every operation behind the previous one and first
/// yields to the activation's scheduler, then times it with a tagged histogram; each product grain
/// already runs one storage operation at a time (<see cref="WriteThroughGrain{TState, TCommand, TResult}"/>)
/// and times its writes itself (<see cref="GrainStorageMetrics"/>), so here a write is the provider's
/// call and nothing more. The state is read when the grain activates, as with Orleans' bridge.
/// </summary>
internal sealed class DirectPersistentState<TState> : IPersistentState<TState>
{
    private readonly string _name;
    private readonly IGrainContext _grain;
    private readonly IGrainStorage _storage;
    private readonly GrainState<TState> _state = new(Activator.CreateInstance<TState>());

    public DirectPersistentState(string name, IGrainContext grain, IGrainStorage storage)
    {
        (_name, _grain, _storage) = (name, grain, storage);
        grain.ObservableLifecycle.Subscribe($"{nameof(DirectPersistentState<TState>)}.{name}", GrainLifecycleStage.SetupState,
            _ => ReadStateAsync(), _ => Task.CompletedTask);
    }

    public TState State { get => _state.State!; set => _state.State = value; }

    public string? Etag => _state.ETag;

    public bool RecordExists => _state.RecordExists;

    public Task ReadStateAsync() => _storage.ReadStateAsync(_name, _grain.GrainId, _state);

    public Task WriteStateAsync() => _storage.WriteStateAsync(_name, _grain.GrainId, _state);

    public async Task ClearStateAsync()
    {
        await _storage.ClearStateAsync(_name, _grain.GrainId, _state);
        _state.State = Activator.CreateInstance<TState>();
    }
}

/// <summary>Makes every <c>[PersistentState]</c> of a silo a <see cref="DirectPersistentState{TState}"/> over its named provider.</summary>
public sealed class DirectPersistentStateFactory : IPersistentStateFactory
{
    public IPersistentState<TState> Create<TState>(IGrainContext context, IPersistentStateConfiguration config)
    {
        if (string.IsNullOrWhiteSpace(config.StorageName))
            throw new InvalidOperationException($"{context.GrainId}: its [PersistentState(\"{config.StateName}\")] names no storage provider; every product grain names {GrainStorageNames.Provider}.");
        var storage = context.ActivationServices.GetKeyedService<IGrainStorage>(config.StorageName)
            ?? throw new InvalidOperationException($"{context.GrainId}: no grain storage provider named {config.StorageName} is configured.");
        return new DirectPersistentState<TState>(config.StateName, context, storage);
    }
}
