using System.ComponentModel;
using Xunit.Abstractions;
using Xunit.Sdk;

[assembly: Xunit.TestFramework("TaskRunner.Tests.Support.ServerAwareTestFramework", "TaskRunner.Tests")]

namespace TaskRunner.Tests.Support;

/// <summary>xunit's own framework, except that the tests of a class needing an absent server
/// (<see cref="RequiresServerAttribute"/>) are discovered as skipped test cases carrying the reason, so they show up as
/// skipped — with why — in <c>dotnet test</c>, instead of passing vacuously or failing. The contract suites stay plain
/// <c>[Fact]</c>s in their abstract bases; nothing in them changes.</summary>
public sealed class ServerAwareTestFramework(IMessageSink messageSink) : XunitTestFramework(messageSink)
{
    protected override ITestFrameworkDiscoverer CreateDiscoverer(IAssemblyInfo assemblyInfo) =>
        new Discoverer(assemblyInfo, SourceInformationProvider, DiagnosticMessageSink);

    private sealed class Discoverer(IAssemblyInfo assemblyInfo, ISourceInformationProvider sourceProvider, IMessageSink diagnosticMessageSink)
        : XunitTestFrameworkDiscoverer(assemblyInfo, sourceProvider, diagnosticMessageSink)
    {
        protected override bool FindTestsForMethod(ITestMethod testMethod, bool includeSourceInformation, IMessageBus messageBus, ITestFrameworkDiscoveryOptions discoveryOptions)
        {
            var reason = testMethod.TestClass.Class is IReflectionTypeInfo type ? RequiresServerAttribute.SkipReasonFor(type.Type) : null;
            if (reason is null || !testMethod.Method.GetCustomAttributes(typeof(FactAttribute)).Any())
            {
                return base.FindTestsForMethod(testMethod, includeSourceInformation, messageBus, discoveryOptions);
            }

            // One skipped case per test method (a theory's rows are never expanded: nothing of it runs).
            var testCase = new SkippedTestCase(DiagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(), discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod, reason);
            return ReportDiscoveredTestCase(testCase, includeSourceInformation, messageBus);
        }
    }
}

/// <summary>A test case reported as skipped with a reason fixed at discovery (serialized with it, so the runner's
/// execution side reports the same reason).</summary>
public sealed class SkippedTestCase : XunitTestCase
{
    private string _reason = "";

    /// <summary>For deserialization only.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    [Obsolete("Called by the de-serializer; should only be called by deriving classes for de-serialization purposes")]
    public SkippedTestCase()
    {
    }

    /// <summary>Creates a skipped case of <paramref name="testMethod"/>.</summary>
    public SkippedTestCase(IMessageSink diagnosticMessageSink, TestMethodDisplay defaultMethodDisplay, TestMethodDisplayOptions defaultMethodDisplayOptions, ITestMethod testMethod, string reason)
        : base(diagnosticMessageSink, defaultMethodDisplay, defaultMethodDisplayOptions, testMethod) => _reason = reason;

    public override void Serialize(IXunitSerializationInfo data)
    {
        base.Serialize(data);
        data.AddValue("SkipReason", _reason);
    }

    public override void Deserialize(IXunitSerializationInfo data)
    {
        // Before the base, which may initialize the case (and so read the skip reason) as it deserializes.
        _reason = data.GetValue<string>("SkipReason");
        base.Deserialize(data);
    }

    protected override string GetSkipReason(IAttributeInfo factAttribute) => _reason;

    /// <summary>The reason is part of the name too, so <c>dotnet test</c> at its default (minimal) verbosity, which prints
    /// skipped tests by name only, still says why.</summary>
    protected override void Initialize()
    {
        base.Initialize();
        DisplayName = $"{DisplayName} [skipped: {_reason}]";
    }
}
