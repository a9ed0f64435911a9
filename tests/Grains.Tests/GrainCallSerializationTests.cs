using System.Reflection;
using Orleans.Storage;
using ThrottleCluster.Grains.Abstractions;
using ThrottleCluster.Grains.Abstractions.ResetTokens;

namespace ThrottleCluster.Grains.Tests;

/// <summary>
/// Every product type that crosses a grain call (arguments, results, exceptions) goes through
/// Orleans' serializer and copier. A type without a codec compiles and fails only at the call
/// (<c>CodecNotFoundException</c>); here it fails a test.
/// </summary>
public class GrainCallSerializationTests
{
    private static readonly DateTimeOffset At = new(2026, 1, 10, 12, 0, 1, TimeSpan.Zero);

    private static readonly CallValue[] Values =
    [
        CallValue.Of(new Receipt(At, 255, Clean: false)),
        CallValue.Of(new AccountResult(false, Rule.Cooldown | Rule.TokenOutstanding, Rule.Hourly)),
        CallValue.Of(new SourceResult(false, Rule.Burst | Rule.Enumeration, Rule.Daily, TimeSpan.FromMinutes(3), true, ListMode.Allow, new Receipt(At, 7))),
        CallValue.Of(new BudgetResult(false, Rule.Budget, Rule.Surge, new Receipt(At, Clean: true), TimeSpan.FromSeconds(15))),
        CallValue.Of(new Listing(ListMode.Block, At.AddDays(30))),
        CallValue.Of(ListMode.Allow),
        CallValue.Of(Rule.Blocked | Rule.Surge),
        CallValue.Of(SurgeStage.Shed),
        CallValue.Of(new GrainInspection("account/alice@example.com", true, 49, At.AddDays(1), """{"sends":[1]}""")),
        CallValue.Of(new StoredPolicy(3, """{"account":{"perDay":7}}""")),
        CallValue.Of(new GlobalStatus(SurgeStage.Tightened, 1000)),
        CallValue.Of(new ResetTokenResult(ResetTokenOutcome.AlreadyUsed)),
        CallValue.Of(ResetTokenOutcome.Expired),
        CallValue.Of(new GrainContendedException("16 writes lost")),
        CallValue.Of(new GrainStorageException("the write failed")),
    ];

    public static TheoryData<string> Names => new(Values.Select(value => value.Type.Name));

    [Fact]
    public void Every_product_type_crossing_a_grain_call_has_a_value_here()
    {
        Assert.Equal(
            CrossingTypes().Select(type => type.FullName).Order(),
            Values.Select(value => value.Type.FullName).Order());
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Each_round_trips_through_the_orleans_serializer_and_copier(string name) => Values.Single(value => value.Type.Name == name).RoundTrip();

    /// <summary>Product types of the grain interfaces' arguments and results, what those are made of, and the product's exceptions.</summary>
    private static HashSet<Type> CrossingTypes()
    {
        var abstractions = typeof(IAccountGrain).Assembly;
        var found = new HashSet<Type>();
        var pending = new Queue<Type>(
            abstractions.GetTypes()
                .Where(type => type.IsInterface && typeof(IAddressable).IsAssignableFrom(type))
                .SelectMany(type => type.GetMethods())
                .SelectMany(method => method.GetParameters().Select(parameter => parameter.ParameterType).Append(method.ReturnType))
                .Concat(new[] { abstractions, typeof(ResetGate).Assembly }.SelectMany(assembly => assembly.GetTypes()).Where(type => type.IsSubclassOf(typeof(Exception)))));
        while (pending.TryDequeue(out var type))
        {
            if (type.IsGenericType) foreach (var argument in type.GetGenericArguments()) pending.Enqueue(argument);
            if (type.HasElementType) pending.Enqueue(type.GetElementType()!);
            if (type.Namespace?.StartsWith("ThrottleCluster.", StringComparison.Ordinal) != true || !found.Add(type)) continue;
            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly).Where(p => p.CanWrite))
                pending.Enqueue(property.PropertyType);
        }
        return found;
    }

    private abstract record CallValue(Type Type)
    {
        public static CallValue Of<T>(T value) => new Typed<T>(value);

        public abstract void RoundTrip();
    }

    private sealed record Typed<T>(T Value) : CallValue(typeof(T))
    {
        public override void RoundTrip()
        {
            var bytes = OrleansWire.Serializer.SerializeToArray(Value);
            AssertSame(Value, OrleansWire.Serializer.Deserialize<T>(bytes));
            AssertSame(Value, OrleansWire.Copier.Copy(Value));
        }

        private static void AssertSame(T expected, T? actual)
        {
            if (expected is not Exception error)
            {
                Assert.Equal(expected, actual);
                return;
            }
            var back = Assert.IsType<T>(actual, exactMatch: true) as Exception;
            Assert.Equal(error.Message, back!.Message);
            Assert.Equal(error.InnerException?.GetType(), back.InnerException?.GetType());
            Assert.Equal(error.InnerException?.Message, back.InnerException?.Message);
        }
    }
}
