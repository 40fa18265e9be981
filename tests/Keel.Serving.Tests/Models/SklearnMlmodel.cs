namespace Keel.Serving.Tests.Models;

/// <summary>
/// An MLmodel as MLflow's Python client writes it for <c>mlflow.sklearn.log_model(clf, "model",
/// input_example=X[:5])</c> on iris: PyYAML's block style with sorted keys, the long signature string
/// folded over several lines, 3.10.12-style versions as plain scalars, and keys of newer clients
/// (<c>is_signature_from_type_hint</c>, <c>type_hint_from_example</c>) that Keel does not model.
/// </summary>
internal static class SklearnMlmodel
{
    public const string Text = """
        artifact_path: model
        flavors:
          python_function:
            env:
              conda: conda.yaml
              virtualenv: python_env.yaml
            loader_module: mlflow.sklearn
            model_path: model.pkl
            predict_fn: predict
            python_version: 3.10.12
          sklearn:
            code: null
            pickled_model: model.pkl
            serialization_format: cloudpickle
            sklearn_version: 1.5.1
        is_signature_from_type_hint: false
        metadata:
          owner: data-science
          rows: 150
          threshold: 0.5
        mlflow_version: 2.20.3
        model_size_bytes: 181344
        model_uuid: 3b2f6b9a2b4c4c7fa3b1c0e7e58a6d21
        run_id: 8c1e4f2a9d7b4e0c8a5f3b6d2e1c9a70
        saved_input_example_info:
          artifact_path: input_example.json
          pandas_orient: split
          serving_input_path: serving_input_example.json
          type: dataframe
        signature:
          inputs: '[{"type": "double", "name": "sepal length (cm)", "required": true}, {"type":
            "double", "name": "sepal width (cm)", "required": true}, {"type": "double", "name":
            "petal length (cm)", "required": true}, {"type": "double", "name": "petal width
            (cm)", "required": true}]'
          outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]'
          params: null
        type_hint_from_example: false
        utc_time_created: '2024-11-05 09:41:27.364512'

        """;

    /// <summary>The signature inputs string once PyYAML has unfolded it.</summary>
    public const string InputsJson =
        """[{"type": "double", "name": "sepal length (cm)", "required": true}, {"type": "double", "name": "sepal width (cm)", "required": true}, {"type": "double", "name": "petal length (cm)", "required": true}, {"type": "double", "name": "petal width (cm)", "required": true}]""";
}
