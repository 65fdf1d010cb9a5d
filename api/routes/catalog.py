"""Products, locations and customers: read by staff, written by admins (upsert by key)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.deps import CanReadCatalog, CanReadCustomers, CanWriteCatalog, Uow
from api.schemas.catalog import (
    CustomerIn,
    CustomerOut,
    LocationIn,
    LocationOut,
    ProductIn,
    ProductOut,
)
from api.schemas.common import problem_responses
from api.schemas.patterns import CODE, SKU
from engine.domain.errors import NotFound
from engine.service_layer import catalog

router = APIRouter(prefix="/v1", tags=["catalog"])

Limit = Annotated[int, Query(ge=1, le=500, description="Page size.")]
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="Rows to skip.")]
SkuPath = Annotated[str, Path(pattern=SKU, description="The product's SKU.")]
CodePath = Annotated[str, Path(pattern=CODE, description="The location's code.")]
CustomerPath = Annotated[str, Path(pattern=CODE, description="The customer's id.")]


@router.get("/products", response_model=list[ProductOut], responses=problem_responses())
def list_products(
    _: CanReadCatalog, uow: Uow, limit: Limit = 100, offset: Offset = 0
) -> list[ProductOut]:
    """Products, by SKU."""
    with uow:
        return [ProductOut.of(p) for p in uow.products.list(limit=limit, offset=offset)]


@router.get("/products/{sku}", response_model=ProductOut, responses=problem_responses(404))
def get_product(sku: SkuPath, _: CanReadCatalog, uow: Uow) -> ProductOut:
    """One product by SKU."""
    with uow:
        product = uow.products.get(sku)
        if product is None:
            raise NotFound("product", sku)
        return ProductOut.of(product)


@router.put("/products/{sku}", response_model=ProductOut, responses=problem_responses())
def put_product(sku: SkuPath, body: ProductIn, who: CanWriteCatalog, uow: Uow) -> ProductOut:
    """Create or replace a product (admins)."""
    product = catalog.put_product(uow, body.to_domain(sku), who.actor, body.model_dump())
    return ProductOut.of(product)


@router.get("/locations", response_model=list[LocationOut], responses=problem_responses())
def list_locations(
    _: CanReadCatalog, uow: Uow, limit: Limit = 100, offset: Offset = 0
) -> list[LocationOut]:
    """Warehouses, stores, 3PLs and dropship vendors."""
    with uow:
        return [LocationOut.of(loc) for loc in uow.locations.list(limit=limit, offset=offset)]


@router.get("/locations/{code}", response_model=LocationOut, responses=problem_responses(404))
def get_location(code: CodePath, _: CanReadCatalog, uow: Uow) -> LocationOut:
    """One location by code."""
    with uow:
        location = uow.locations.get(code)
        if location is None:
            raise NotFound("location", code)
        return LocationOut.of(location)


@router.put("/locations/{code}", response_model=LocationOut, responses=problem_responses())
def put_location(code: CodePath, body: LocationIn, who: CanWriteCatalog, uow: Uow) -> LocationOut:
    """Create or replace a location (admins)."""
    location = catalog.put_location(uow, body.to_domain(code), who.actor, body.model_dump())
    return LocationOut.of(location)


@router.get("/customers", response_model=list[CustomerOut], responses=problem_responses())
def list_customers(
    _: CanReadCustomers, uow: Uow, limit: Limit = 100, offset: Offset = 0
) -> list[CustomerOut]:
    """Customers, by id (support and admins)."""
    with uow:
        return [CustomerOut.of(c) for c in uow.customers.list(limit=limit, offset=offset)]


@router.get(
    "/customers/{customer_id}", response_model=CustomerOut, responses=problem_responses(404)
)
def get_customer(customer_id: CustomerPath, _: CanReadCustomers, uow: Uow) -> CustomerOut:
    """One customer by id."""
    with uow:
        customer = uow.customers.get(customer_id)
        if customer is None:
            raise NotFound("customer", customer_id)
        return CustomerOut.of(customer)


@router.put("/customers/{customer_id}", response_model=CustomerOut, responses=problem_responses())
def put_customer(
    customer_id: CustomerPath, body: CustomerIn, who: CanWriteCatalog, uow: Uow
) -> CustomerOut:
    """Create or replace a customer (admins). A change raises `customer.updated` (the id,
    and whether the record was created) for the ERP/CRM sync and webhooks; the same record
    stored again raises nothing."""
    customer = catalog.put_customer(uow, body.to_domain(customer_id), who.actor)
    return CustomerOut.of(customer)
