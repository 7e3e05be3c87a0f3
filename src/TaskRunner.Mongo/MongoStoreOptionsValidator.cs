using Microsoft.Extensions.Options;

namespace TaskRunner.Mongo;

/// <summary>Validates <see cref="MongoStoreOptions"/> at start.</summary>
internal sealed class MongoStoreOptionsValidator : IValidateOptions<MongoStoreOptions>
{
    public ValidateOptionsResult Validate(string? name, MongoStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
