using Xunit.Sdk;

namespace LabRunner.RealGuests.Tests.Support;

/// <summary>Runs a class's tests in the order of their <see cref="RealGuestFactAttribute.Step"/>: they share one lab.</summary>
public sealed class StepOrderer : ITestCaseOrderer
{
    public const string TypeName = "LabRunner.RealGuests.Tests.Support.StepOrderer";
    public const string AssemblyName = "LabRunner.RealGuests.Tests";

    public IEnumerable<TTestCase> OrderTestCases<TTestCase>(IEnumerable<TTestCase> testCases) where TTestCase : ITestCase =>
        testCases.OrderBy(t => Step(t)).ThenBy(t => t.TestMethod.Method.Name, StringComparer.Ordinal);

    private static int Step(ITestCase testCase) =>
        testCase.TestMethod.Method.GetCustomAttributes(typeof(RealGuestFactAttribute)).FirstOrDefault()?.GetConstructorArguments().OfType<int>().FirstOrDefault() ?? int.MaxValue;
}
