from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.experiment import Experiment
    from ..models.experiment_batch import ExperimentBatch
    from ..models.experiment_production_result import ExperimentProductionResult
    from ..models.experiment_run_outcome import ExperimentRunOutcome
    from ..models.experiment_variant_result import ExperimentVariantResult


T = TypeVar("T", bound="ExperimentResults")


@_attrs_define
class ExperimentResults:
    """
    Attributes:
        experiment (Experiment):
        variants (list[ExperimentVariantResult] | Unset):
        runs (list[ExperimentRunOutcome] | Unset):
        winner (None | str | Unset):
        batch_id (None | str | Unset): The batch compared (`null`: the runs without a batch, or `all`).
        batches (list[ExperimentBatch] | Unset):
        production (list[ExperimentProductionResult] | Unset): Per variant, the production sessions of its assigned
            users
            (extension, variants).
    """

    experiment: Experiment
    variants: list[ExperimentVariantResult] | Unset = UNSET
    runs: list[ExperimentRunOutcome] | Unset = UNSET
    winner: None | str | Unset = UNSET
    batch_id: None | str | Unset = UNSET
    batches: list[ExperimentBatch] | Unset = UNSET
    production: list[ExperimentProductionResult] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        experiment = self.experiment.to_dict()

        variants: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.variants, Unset):
            variants = []
            for variants_item_data in self.variants:
                variants_item = variants_item_data.to_dict()
                variants.append(variants_item)

        runs: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.runs, Unset):
            runs = []
            for runs_item_data in self.runs:
                runs_item = runs_item_data.to_dict()
                runs.append(runs_item)

        winner: None | str | Unset
        if isinstance(self.winner, Unset):
            winner = UNSET
        else:
            winner = self.winner

        batch_id: None | str | Unset
        if isinstance(self.batch_id, Unset):
            batch_id = UNSET
        else:
            batch_id = self.batch_id

        batches: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.batches, Unset):
            batches = []
            for batches_item_data in self.batches:
                batches_item = batches_item_data.to_dict()
                batches.append(batches_item)

        production: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.production, Unset):
            production = []
            for production_item_data in self.production:
                production_item = production_item_data.to_dict()
                production.append(production_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "experiment": experiment,
            }
        )
        if variants is not UNSET:
            field_dict["variants"] = variants
        if runs is not UNSET:
            field_dict["runs"] = runs
        if winner is not UNSET:
            field_dict["winner"] = winner
        if batch_id is not UNSET:
            field_dict["batchId"] = batch_id
        if batches is not UNSET:
            field_dict["batches"] = batches
        if production is not UNSET:
            field_dict["production"] = production

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.experiment import Experiment  # noqa: PLC0415
        from ..models.experiment_batch import ExperimentBatch  # noqa: PLC0415
        from ..models.experiment_production_result import ExperimentProductionResult  # noqa: PLC0415
        from ..models.experiment_run_outcome import ExperimentRunOutcome  # noqa: PLC0415
        from ..models.experiment_variant_result import ExperimentVariantResult  # noqa: PLC0415

        d = dict(src_dict)
        experiment = Experiment.from_dict(d.pop("experiment"))

        _variants = d.pop("variants", UNSET)
        variants: list[ExperimentVariantResult] | Unset = UNSET
        if _variants is not UNSET:
            variants = []
            for variants_item_data in _variants:
                variants_item = ExperimentVariantResult.from_dict(variants_item_data)

                variants.append(variants_item)

        _runs = d.pop("runs", UNSET)
        runs: list[ExperimentRunOutcome] | Unset = UNSET
        if _runs is not UNSET:
            runs = []
            for runs_item_data in _runs:
                runs_item = ExperimentRunOutcome.from_dict(runs_item_data)

                runs.append(runs_item)

        def _parse_winner(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        winner = _parse_winner(d.pop("winner", UNSET))

        def _parse_batch_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        batch_id = _parse_batch_id(d.pop("batchId", UNSET))

        _batches = d.pop("batches", UNSET)
        batches: list[ExperimentBatch] | Unset = UNSET
        if _batches is not UNSET:
            batches = []
            for batches_item_data in _batches:
                batches_item = ExperimentBatch.from_dict(batches_item_data)

                batches.append(batches_item)

        _production = d.pop("production", UNSET)
        production: list[ExperimentProductionResult] | Unset = UNSET
        if _production is not UNSET:
            production = []
            for production_item_data in _production:
                production_item = ExperimentProductionResult.from_dict(
                    production_item_data
                )

                production.append(production_item)

        experiment_results = cls(
            experiment=experiment,
            variants=variants,
            runs=runs,
            winner=winner,
            batch_id=batch_id,
            batches=batches,
            production=production,
        )

        experiment_results.additional_properties = d
        return experiment_results

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
