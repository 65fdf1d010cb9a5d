"""Products, locations and customers as the API shows and accepts them."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal
from typing import Annotated

from pydantic import Field

from api.schemas.common import AddressIn, AddressOut, Out, Strict
from api.schemas.patterns import CLOCK_TIME, EMAIL
from engine.domain.catalog import Customer, Location, LocationType, Product, Service
from engine.domain.values import Dimensions


class DimensionsIn(Strict):
    length_cm: float = Field(default=0.0, ge=0, le=10_000)
    width_cm: float = Field(default=0.0, ge=0, le=10_000)
    height_cm: float = Field(default=0.0, ge=0, le=10_000)


class ProductIn(Strict):
    name: str = Field(min_length=1, max_length=200, examples=["Trail running shoe"])
    price: Decimal = Field(default=Decimal("0"), strict=False, ge=0, le=1_000_000, decimal_places=2)
    weight_kg: float = Field(default=0.0, ge=0, le=100_000)
    dimensions: DimensionsIn = Field(default_factory=DimensionsIn)
    hazmat: bool = False
    category: str = Field(default="", max_length=100)
    tags: list[str] = Field(default_factory=list, max_length=50)
    attributes: dict[str, str] = Field(default_factory=dict)
    preorder_release: date | None = Field(default=None, strict=False)
    dropship_vendor: str | None = Field(default=None, max_length=100)
    kit_components: dict[str, int] = Field(default_factory=dict)

    def to_domain(self, sku: str) -> Product:
        return Product(
            sku=sku,
            name=self.name,
            price=self.price,
            weight_kg=self.weight_kg,
            dimensions=Dimensions(**self.dimensions.model_dump()),
            hazmat=self.hazmat,
            category=self.category,
            tags=frozenset(self.tags),
            attributes=dict(self.attributes),
            preorder_release=self.preorder_release,
            dropship_vendor=self.dropship_vendor,
            kit_components=dict(self.kit_components),
        )


class ProductOut(Out):
    sku: str = Field(examples=["SHOE-42"])
    name: str
    price: Decimal
    weight_kg: float
    hazmat: bool
    category: str
    tags: list[str]
    attributes: dict[str, str]
    preorder_release: date | None
    dropship_vendor: str | None
    kit_components: dict[str, int]

    @classmethod
    def of(cls, product: Product) -> ProductOut:
        return cls(
            sku=product.sku,
            name=product.name,
            price=product.price,
            weight_kg=product.weight_kg,
            hazmat=product.hazmat,
            category=product.category,
            tags=sorted(product.tags),
            attributes=dict(product.attributes),
            preorder_release=product.preorder_release,
            dropship_vendor=product.dropship_vendor,
            kit_components=dict(product.kit_components),
        )


class LocationIn(Strict):
    name: str = Field(min_length=1, max_length=200, examples=["Dallas DC"])
    type: LocationType = Field(default=LocationType.WAREHOUSE, strict=False)
    address: AddressIn
    daily_capacity: int = Field(default=1000, ge=0, le=10_000_000)
    cutoff: time = Field(default=time(15, 0), strict=False, description="Local time, e.g. 15:00.")
    tags: list[str] = Field(default_factory=list, max_length=50)
    # Each item lax too: `strict=False` on the list alone leaves its items strict, and a
    # service sent as text ("pickup") was then refused.
    services: list[Annotated[Service, Field(strict=False)]] = Field(
        default_factory=lambda: [Service.SHIP], strict=False
    )
    enabled: bool = True

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {
            "examples": [
                {
                    "name": "Dallas DC",
                    "type": "warehouse",
                    "address": {"postal_code": "75201", "city": "Dallas", "state": "TX"},
                    "daily_capacity": 800,
                    "cutoff": "16:00",
                    "services": ["ship"],
                }
            ]
        },
    }

    def to_domain(self, code: str) -> Location:
        return Location(
            code=code,
            name=self.name,
            type=self.type,
            address=self.address.to_domain(),
            daily_capacity=self.daily_capacity,
            cutoff=self.cutoff,
            tags=frozenset(self.tags),
            services=frozenset(self.services),
            enabled=self.enabled,
        )


class LocationOut(Out):
    code: str = Field(examples=["DAL-01"])
    name: str
    type: LocationType
    address: AddressOut
    daily_capacity: int
    cutoff: str = Field(pattern=CLOCK_TIME, examples=["15:00"], description="Local time.")
    tags: list[str]
    services: list[Service]
    enabled: bool

    @classmethod
    def of(cls, location: Location) -> LocationOut:
        return cls(
            code=location.code,
            name=location.name,
            type=location.type,
            address=AddressOut.of(location.address),
            daily_capacity=location.daily_capacity,
            cutoff=location.cutoff.strftime("%H:%M"),
            tags=sorted(location.tags),
            services=sorted(location.services),
            enabled=location.enabled,
        )


class CustomerIn(Strict):
    email: str = Field(max_length=254, pattern=EMAIL, examples=["ada@example.com"])
    name: str = Field(default="", max_length=200)
    tier: str = Field(default="standard", max_length=50)
    group: str = Field(default="", max_length=50)
    default_address: AddressIn | None = None

    def to_domain(self, customer_id: str) -> Customer:
        return Customer(
            id=customer_id,
            email=self.email,
            name=self.name,
            tier=self.tier,
            group=self.group,
            default_address=self.default_address.to_domain() if self.default_address else None,
        )


class CustomerOut(Out):
    id: str = Field(examples=["C-1001"])
    email: str
    name: str
    tier: str
    group: str
    default_address: AddressOut | None

    @classmethod
    def of(cls, customer: Customer) -> CustomerOut:
        return cls(
            id=customer.id,
            email=customer.email,
            name=customer.name,
            tier=customer.tier,
            group=customer.group,
            default_address=(
                AddressOut.of(customer.default_address) if customer.default_address else None
            ),
        )
