using ThrottleCluster.Grains.Abstractions;

namespace ThrottleCluster.Grains.Tests;

/// <summary>A reset gate over in-memory grains with a hand-moved clock.</summary>
public sealed class GateHarness(ThrottlePolicy? policy = null)
{
    private int _requests;

    public ThrottlePolicy Policy { get; } = policy ?? new ThrottlePolicy();
    public InMemoryGrains Grains { get; private set; } = new(policy ?? new ThrottlePolicy());
    public DateTimeOffset Now { get; set; } = GrainModels.T0;

    public ResetDecision Ask(string ip, string login, string domain = "example.com") =>
        Decide(new ResetAttempt($"r{++_requests}", ip, login, domain));

    public ResetDecision Decide(ResetAttempt attempt) =>
        new ResetGate(Grains, accountHashSecret: 7).DecideAsync(attempt, Now).GetAwaiter().GetResult();

    public void Redeem(string login) =>
        Grains.CallAsync<AccountCommand, AccountResult>(GrainKinds.Account, ThrottleKeys.Account(login), $"redeem{++_requests}",
            new AccountCommand.Redeemed(), Now, default).GetAwaiter().GetResult();

    public void List<TCommand>(string kind, string key, TCommand command) =>
        Grains.CallAsync<TCommand, object>(kind, key, $"admin{++_requests}", command, Now, default).GetAwaiter().GetResult();

    public byte[]? State(string kind, string key) => Grains.State(kind, key, Now);

    public GateHarness Clone()
    {
        var clone = new GateHarness(Policy) { Now = Now, _requests = _requests };
        clone.Grains.CopyStatesFrom(Grains);
        return clone;
    }
}
