namespace TaskRunner.Testing;

/// <summary>One progress report a handler made through <see cref="TestJobContext"/>.</summary>
/// <param name="Percent">0 to 100.</param>
/// <param name="Message">The message, if any.</param>
public readonly record struct ProgressReport(int Percent, string? Message);
