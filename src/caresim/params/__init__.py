"""Typed, frozen, sourced parameters: the schema of a scenario and its leaf value types."""

from caresim.params.schema import Scenario
from caresim.params.values import Categorical, Dated, DateSetting, Quantity, Setting

__all__ = ["Categorical", "DateSetting", "Dated", "Quantity", "Scenario", "Setting"]
