namespace TaskRunner.Tests.Support;

/// <summary>Marks a store factory (or a test class) that needs a database server named by an environment variable. Every
/// test of a class that is, or is a generic suite over, such a factory is reported as skipped, with
/// <see cref="Reason"/>, when the variable is not set (see <see cref="ServerAwareTestFramework"/>). When it is set the
/// tests run, and fail if the server cannot be reached: a configured server is never skipped silently.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class RequiresServerAttribute(string environmentVariable, string reason) : Attribute
{
    /// <summary>The variable holding the server's connection string.</summary>
    public string EnvironmentVariable { get; } = environmentVariable;

    /// <summary>Why the tests are skipped and how to run them.</summary>
    public string Reason { get; } = reason;

    /// <summary>The skip reason for tests of <paramref name="testClass"/>, or <see langword="null"/> to run them: the first
    /// attribute found on the class, its base classes or their generic arguments whose variable is unset.</summary>
    public static string? SkipReasonFor(Type testClass)
    {
        for (var type = testClass; type is not null; type = type.BaseType)
        {
            foreach (var candidate in (Type[])[type, .. type.IsGenericType ? type.GetGenericArguments() : []])
            {
                if (candidate.GetCustomAttributes(typeof(RequiresServerAttribute), inherit: false) is [RequiresServerAttribute required, ..]
                    && string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(required.EnvironmentVariable)))
                {
                    return required.Reason;
                }
            }
        }

        return null;
    }
}
